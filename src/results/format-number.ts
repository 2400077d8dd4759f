/** Numbers as a researcher reads them: up to 4 significant digits, no exponent for everyday sizes. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e9)) return value.toExponential(3);
  const digits = abs >= 1000 ? 1 : Math.max(2, 4 - Math.floor(Math.log10(abs || 1)) - 1);
  return String(Number(value.toFixed(Math.min(digits, 6))));
}

/**
 * A parameter value in a table: strings as written, everything else as JSON; nothing for a
 * parameter the run does not have (a strategy of a multi-strategy DAG without that key).
 */
export function formatParam(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
