/** AWS Batch job names: up to 128 letters, digits, hyphens and underscores, starting alphanumeric. */
const MAX_JOB_NAME = 128;

/**
 * The part of a run's Batch job name before `-run-<index>`. The DAG appends the zero-padded
 * run index (at least 5 digits), so the prefix is cut short enough that the suffix, which
 * makes names unique, always fits.
 */
export function jobNamePrefix(dagId: string, strategy: string | null, lastRunIndex: number): string {
  const raw = strategy === null ? dagId : `${dagId}-${strategy}`;
  let name = raw.replace(/[^A-Za-z0-9_-]/g, '_');
  if (!/^[A-Za-z0-9]/.test(name)) name = `b${name}`;
  const suffixLength = '-run-'.length + Math.max(5, String(lastRunIndex).length);
  return name.slice(0, MAX_JOB_NAME - suffixLength);
}

/** The full job name of one run, as the rendered DAG builds it. */
export function jobName(prefix: string, index: number): string {
  return `${prefix}-run-${String(index).padStart(5, '0')}`;
}
