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
  const cells = rows.map((rowValue) =>
    columns.map((columnValue) => {
      const inCell = ranked.filter(
        (r) => same(r.run.params[rowKey], rowValue) && same(r.run.params[columnKey], columnValue),
      );
      return {
        value: mean(inCell.map((r) => r.objective)),
        best: best !== undefined && inCell.includes(best),
      };
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
  return {
    key,
    values: valuesOf(key, runs).map((value) => {
      const matching = ranked.filter((r) => same(r.run.params[key], value));
      return { value, mean: mean(matching.map((r) => r.objective)), runs: matching.length };
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

function same(a: JsonValue | undefined, b: JsonValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
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
