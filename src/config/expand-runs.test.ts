import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countGridRuns, expandRuns, iterateRuns } from './expand-runs.js';
import { loadConfigRepo } from './load-config-repo.js';
import type { BacktestSpec, JsonValue, StrategySpec } from './types.js';

const scalar = fc.oneof(fc.integer({ min: -5, max: 50 }), fc.constantFrom('a', 'b', 'c'), fc.boolean());
const paramName = fc.constantFrom(
  'take_profit_pct',
  'stop_loss_pct',
  'rebalance_period',
  'lookback',
  'mode',
  'window',
);

const strategyArb = fc
  .record({
    direct: fc.dictionary(paramName, scalar, { maxKeys: 6 }),
    grid: fc.dictionary(paramName, fc.array(scalar, { minLength: 1, maxLength: 4 }), { maxKeys: 4 }),
  })
  .map(({ direct, grid }): StrategySpec => {
    const param_grid = Object.fromEntries(
      Object.entries(grid).map(([key, values]) => [key, [...new Set(values)]]),
    ) as Record<string, JsonValue[]>;
    return {
      name: 's',
      strategy_class: 'S',
      start_date: '2022-01-01',
      end_date: '2022-12-31',
      parameters: { initial_capital: 1000, ...direct },
      param_grid,
      infra: { job_queue: null, job_definition: null, results_bucket: null, db_conn_id: null },
      runs: countGridRuns(param_grid),
    };
  });

function specOf(strategies: StrategySpec[]): BacktestSpec {
  return {
    source: 'backtests/x.yaml',
    source_sha256: '0',
    dag_id: 'x',
    description: null,
    tags: [],
    schedule: null,
    owner: 'o',
    retries: 0,
    batch_attempts: 1,
    callbacks: { before: null, after: null },
    strategies: strategies.map((s, i) => ({ ...s, name: `s${i}` })),
    multi_strategy: strategies.length > 1,
    runs: strategies.reduce((n, s) => n + s.runs, 0),
  };
}

describe('param_grid expansion (properties)', () => {
  it('run count is the product of the list lengths', () => {
    fc.assert(
      fc.property(strategyArb, (strategy) => {
        const lengths = Object.values(strategy.param_grid).map((v) => v.length);
        expect(expandRuns(specOf([strategy]))).toHaveLength(lengths.reduce((a, b) => a * b, 1));
      }),
    );
  });

  it('every combination of grid values appears exactly once, last key fastest', () => {
    fc.assert(
      fc.property(strategyArb, (strategy) => {
        const keys = Object.keys(strategy.param_grid);
        const runs = expandRuns(specOf([strategy]));
        const combos = runs.map((r) => JSON.stringify(keys.map((k) => r.params[k])));
        expect(new Set(combos).size).toBe(runs.length);
        // Mixed-radix decoding of the index gives the expected combination.
        runs.forEach((run, index) => {
          let rest = index;
          const expected: JsonValue[] = [];
          for (let k = keys.length - 1; k >= 0; k -= 1) {
            const values = strategy.param_grid[keys[k] as string] as JsonValue[];
            expected.unshift(values[rest % values.length] as JsonValue);
            rest = Math.floor(rest / values.length);
          }
          expect(keys.map((k) => run.params[k])).toEqual(expected);
        });
      }),
    );
  });

  it('parameters outside the grid keep their direct values in every run', () => {
    fc.assert(
      fc.property(strategyArb, (strategy) => {
        for (const run of expandRuns(specOf([strategy]))) {
          for (const [key, value] of Object.entries(strategy.parameters)) {
            if (!(key in strategy.param_grid)) expect(run.params[key]).toEqual(value);
          }
          expect(run.params).toMatchObject({
            strategy_class: 'S',
            start_date: '2022-01-01',
            end_date: '2022-12-31',
          });
        }
      }),
    );
  });

  it('indexes are global and contiguous across strategies, in strategy order', () => {
    fc.assert(
      fc.property(fc.array(strategyArb, { minLength: 1, maxLength: 4 }), (strategies) => {
        const spec = specOf(strategies);
        const runs = [...iterateRuns(spec)];
        expect(runs.map((r) => r.index)).toEqual(runs.map((_, i) => i));
        expect(runs.map((r) => r.strategy)).toEqual(
          spec.strategies.flatMap((s) => Array(s.runs).fill(s.name)),
        );
        expect(runs).toEqual(expandRuns(spec));
      }),
    );
  });

  it('holds end to end from YAML text', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 4 }), (lengths) => {
        const grid = lengths.map(
          (n, k) => `  params.p${k}: [${Array.from({ length: n }, (_, v) => v).join(', ')}]`,
        );
        const yaml = `strategy_class: S\nstart_date: 2022-01-01\nend_date: 2022-12-31\nstop_loss_pct: 2\n${grid.length ? `param_grid:\n${grid.join('\n')}\n` : ''}`;
        const result = loadConfigRepo(new Map([['backtests/x.yaml', yaml]]));
        expect(result.issues).toEqual([]);
        const runs = expandRuns(result.specs[0] as BacktestSpec);
        expect(runs).toHaveLength(lengths.reduce((a, b) => a * b, 1));
        expect(runs.every((r) => r.params.stop_loss_pct === 2)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('is lazy: the first run of a huge grid comes without expanding the rest', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i);
    const strategy: StrategySpec = {
      name: 's',
      strategy_class: 'S',
      start_date: '2022-01-01',
      end_date: '2022-12-31',
      parameters: { initial_capital: 1 },
      param_grid: { a: values, b: values, c: values },
      infra: { job_queue: null, job_definition: null, results_bucket: null, db_conn_id: null },
      runs: 1e9,
    };
    const first = iterateRuns(specOf([strategy])).next();
    expect(first.value?.params).toMatchObject({ a: 0, b: 0, c: 0 });
  });
});
