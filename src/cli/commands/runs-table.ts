import { type BacktestSpec, iterateRuns, type JsonValue, type StrategySpec } from '../../config/index.js';
import { parameterJson, runParamJson } from '../../config/written-json.js';

/**
 * `expand`'s text output: per strategy, the parameters every run shares, then one row per
 * run with only the swept parameters, so a 9-run grid reads as a 9-row table.
 */
export function formatRunsTable(spec: BacktestSpec): string {
  const lines = [`${spec.dag_id} (${spec.source}): ${spec.runs} ${spec.runs === 1 ? 'run' : 'runs'}`];
  const runs = iterateRuns(spec);
  let next = runs.next();
  for (const strategy of spec.strategies) {
    lines.push('', ...strategyHeader(strategy));
    const swept = Object.keys(strategy.param_grid);
    const rows: string[][] = [];
    for (let i = 0; i < strategy.runs && !next.done; i += 1, next = runs.next()) {
      const texts = new Map(runParamJson(strategy, i, next.value.params));
      rows.push([
        String(next.value.index),
        ...swept.map((key) => show(next.value.params[key] as JsonValue, texts.get(key))),
      ]);
    }
    if (swept.length === 0) lines.push(`  run ${rows.map((r) => r[0]).join(', ')} (no param_grid)`);
    else lines.push(...table(['run', ...swept], rows).map((row) => `  ${row}`));
  }
  return `${lines.join('\n')}\n`;
}

function strategyHeader(strategy: StrategySpec): string[] {
  const fixed = Object.entries(strategy.parameters)
    .filter(([key]) => !Object.hasOwn(strategy.param_grid, key))
    .map(([key, value]) => `${key}=${show(value, parameterJson(strategy, key, value))}`);
  return [
    `strategy ${strategy.name}: ${strategy.strategy_class}, ${strategy.start_date} to ${strategy.end_date}`,
    `  ${strategy.runs === 1 ? 'parameters' : 'same in every run'}: ${fixed.length > 0 ? fixed.join(' ') : '(none)'}`,
  ];
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((r) => (r[col] ?? '').length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, col) => (col === 0 ? cell.padStart(widths[col] ?? 0) : cell.padEnd(widths[col] ?? 0)))
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)];
}

function show(value: JsonValue, json?: string): string {
  return typeof value === 'string' ? value : (json ?? JSON.stringify(value));
}
