import type { BacktestRun, BacktestSpec, JsonValue, StrategySpec } from './types.js';
import { STRATEGY_PARAMETER_KEYS } from './types.js';

/**
 * Expands a spec into its concrete runs: per strategy in order, the cartesian product of
 * its param_grid in written key order with the last key varying fastest (the seed's
 * itertools.product order). Grid values replace direct values; every other parameter keeps
 * its direct value. Indexes are global across strategies.
 */
export function* iterateRuns(spec: BacktestSpec): Generator<BacktestRun> {
  let index = 0;
  for (const strategy of spec.strategies) {
    for (const params of iterateStrategyParams(strategy)) {
      yield { index, strategy: strategy.name, params };
      index += 1;
    }
  }
}

export function expandRuns(spec: BacktestSpec): BacktestRun[] {
  return Array.from(iterateRuns(spec));
}

/** Product of the grid's list lengths; 1 without a grid. */
export function countGridRuns(grid: Record<string, readonly unknown[]>): number {
  let runs = 1;
  for (const values of Object.values(grid)) runs *= values.length;
  return runs;
}

function* iterateStrategyParams(strategy: StrategySpec): Generator<Record<string, JsonValue>> {
  const keys = Object.keys(strategy.param_grid);
  const lists = keys.map((key) => strategy.param_grid[key] as JsonValue[]);
  if (lists.some((values) => values.length === 0)) return;
  // An odometer over the lists: the last position turns fastest.
  const positions = keys.map(() => 0);
  while (true) {
    const overrides: Record<string, JsonValue> = {};
    keys.forEach((key, i) => {
      overrides[key] = (lists[i] as JsonValue[])[positions[i] as number] as JsonValue;
    });
    yield runParams(strategy, overrides);
    let turn = keys.length - 1;
    while (turn >= 0) {
      positions[turn] = (positions[turn] as number) + 1;
      if ((positions[turn] as number) < (lists[turn] as JsonValue[]).length) break;
      positions[turn] = 0;
      turn -= 1;
    }
    if (turn < 0) return;
  }
}

const PARAMETER_KEY_SET: ReadonlySet<string> = new Set(STRATEGY_PARAMETER_KEYS);

/**
 * Effective parameters of one run, in a stable order: strategy_class and the dates, the
 * seed's parameters in STRATEGY_PARAMETER_KEYS order, then free-form params (written order,
 * grid-only ones last).
 */
function runParams(strategy: StrategySpec, overrides: Record<string, JsonValue>): Record<string, JsonValue> {
  const merged: Record<string, JsonValue> = { ...strategy.parameters, ...overrides };
  const params: Record<string, JsonValue> = {
    strategy_class: strategy.strategy_class,
    start_date: strategy.start_date,
    end_date: strategy.end_date,
  };
  for (const key of STRATEGY_PARAMETER_KEYS) {
    if (key in merged) params[key] = merged[key] as JsonValue;
  }
  for (const [key, value] of Object.entries(merged)) {
    if (!PARAMETER_KEY_SET.has(key)) params[key] = value;
  }
  return params;
}
