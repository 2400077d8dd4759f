import type { JsonValue } from '../config/types.js';
import type { Heatmap, MarginalMeans, RankedRun, RunOutcome } from './types.js';

/**
 * The grid seen through the objective: a heatmap when exactly two parameters vary (mean of
 * the objective per cell, so several strategies sharing a cell average out), and the mean
 * objective per value of each varying parameter otherwise (and under the heatmap).
 */
export function gridView(
  varying: readonly string[],
  runs: readonly RunOutcome[],
  ranked: readonly RankedRun[],
): { heatmap: Heatmap | null; marginals: MarginalMeans[] } {
  const marginals = varying.map((key) => marginalMeans(key, runs, ranked));
  if (varying.length !== 2 || ranked.length === 0) return { heatmap: null, marginals };
  const [rowKey, columnKey] = varying as [string, string];
  const rows = valuesOf(rowKey, runs);
  const columns = valuesOf(columnKey, runs);
  const best = ranked[0];
  const byCell = new Map<string, number[]>();
  for (const r of ranked) {
    const key = `${JSON.stringify(r.run.params[rowKey])}\u0000${JSON.stringify(r.run.params[columnKey])}`;
    const list = byCell.get(key) ?? [];
    list.push(r.objective);
    byCell.set(key, list);
  }
  const bestKey = best
    ? `${JSON.stringify(best.run.params[rowKey])}\u0000${JSON.stringify(best.run.params[columnKey])}`
    : null;
  const cells = rows.map((rowValue) =>
    columns.map((columnValue) => {
      const key = `${JSON.stringify(rowValue)}\u0000${JSON.stringify(columnValue)}`;
      return { value: mean(byCell.get(key) ?? []), best: key === bestKey };
    }),
  );
  const values = cells.flat().flatMap((c) => (c.value === null ? [] : [c.value]));
  return {
    heatmap: { rowKey, columnKey, rows, columns, cells, min: Math.min(...values), max: Math.max(...values) },
    marginals,
  };
}

function marginalMeans(
  key: string,
  runs: readonly RunOutcome[],
  ranked: readonly RankedRun[],
): MarginalMeans {
  const byValue = new Map<string, number[]>();
  for (const r of ranked) {
    const k = JSON.stringify(r.run.params[key]);
    const list = byValue.get(k) ?? [];
    list.push(r.objective);
    byValue.set(k, list);
  }
  return {
    key,
    values: valuesOf(key, runs).map((value) => {
      const matching = byValue.get(JSON.stringify(value)) ?? [];
      return { value, mean: mean(matching), runs: matching.length };
    }),
  };
}

/** Values in grid order: by run index, which follows the written order of the grid. */
function valuesOf(key: string, runs: readonly RunOutcome[]): JsonValue[] {
  const byIndex = [...runs].sort((a, b) => a.index - b.index);
  const out = new Map<string, JsonValue>();
  for (const run of byIndex) {
    const value = run.params[key];
    if (value !== undefined && !out.has(JSON.stringify(value))) out.set(JSON.stringify(value), value);
  }
  return [...out.values()];
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((s, v) => s + v, 0) / values.length;
}

/** Shade of a value between min and max: 4 steps, red (lowest) to green (highest). */
export const SHADES = ['🟥', '🟧', '🟨', '🟩'] as const;

export function shade(value: number, min: number, max: number): string {
  if (!(max > min)) return SHADES[SHADES.length - 1] as string;
  const step = Math.min(SHADES.length - 1, Math.floor(((value - min) / (max - min)) * SHADES.length));
  return SHADES[step] as string;
}
