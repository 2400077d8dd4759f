import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expandRuns } from './expand-runs.js';
import { loadConfigRepo } from './load-config-repo.js';
import type { BacktestSpec } from './types.js';

const examplesDir = join(dirname(fileURLToPath(import.meta.url)), '../../examples');

function loadExamples(environment?: string) {
  const files = new Map<string, string>([
    ['backtest-gitops.yaml', readFileSync(join(examplesDir, 'backtest-gitops.yaml'), 'utf8')],
  ]);
  for (const name of readdirSync(join(examplesDir, 'backtests'))) {
    files.set(`backtests/${name}`, readFileSync(join(examplesDir, 'backtests', name), 'utf8'));
  }
  return loadConfigRepo(files, environment ? { environment } : {});
}

function spec(dagId: string): BacktestSpec {
  const found = loadExamples().specs.find((s) => s.dag_id === dagId);
  if (!found) throw new Error(`no spec ${dagId}`);
  return found;
}

describe('the seed examples in examples/', () => {
  it('are all valid', () => {
    const result = loadExamples();
    expect(result.issues).toEqual([]);
    expect(result.invalidFiles).toEqual([]);
    expect(result.specs.map((s) => [s.dag_id, s.runs])).toEqual([
      ['factor_comparison_2023', 8],
      ['grid_search', 9],
      ['mixed_grid', 9],
      ['single_backtest', 1],
      ['with_callbacks', 4],
    ]);
  });

  it('single backtest: direct parameters only give one run with exactly those values', () => {
    const runs = expandRuns(spec('single_backtest'));
    expect(runs).toEqual([
      {
        index: 0,
        strategy: 'single_backtest',
        params: {
          strategy_class: 'LongShortEquityStrategy',
          start_date: '2022-01-01',
          end_date: '2022-12-31',
          initial_capital: 1000000,
          factors: ['DebtToEquity'],
          rebalance_period: 1,
          take_profit_pct: 10,
          stop_loss_pct: 5,
        },
      },
    ]);
  });

  it('grid search: 3 x 3 runs, the grid overriding the direct values, rebalance_period 1 in every run', () => {
    const runs = expandRuns(spec('grid_search'));
    expect(runs).toHaveLength(9);
    expect(runs.map((r) => [r.params.take_profit_pct, r.params.stop_loss_pct])).toEqual([
      [5, 3],
      [5, 5],
      [5, 8],
      [10, 3],
      [10, 5],
      [10, 8],
      [15, 3],
      [15, 5],
      [15, 8],
    ]);
    expect(new Set(runs.map((r) => r.params.rebalance_period))).toEqual(new Set([1]));
    expect(runs.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('mixed grid: 9 runs, all with stop_loss_pct 5.0 and cooldown_period 5', () => {
    const runs = expandRuns(spec('mixed_grid'));
    expect(runs).toHaveLength(9);
    expect(runs.map((r) => [r.params.take_profit_pct, r.params.rebalance_period])).toEqual([
      [5, 1],
      [5, 7],
      [5, 30],
      [10, 1],
      [10, 7],
      [10, 30],
      [15, 1],
      [15, 7],
      [15, 30],
    ]);
    for (const run of runs) {
      expect(run.params).toMatchObject({ stop_loss_pct: 5, cooldown_period: 5, initial_capital: 1000000 });
    }
  });

  it('multi-strategy: strategies inherit top-level values, merge params, and number runs globally', () => {
    const s = spec('factor_comparison_2023');
    expect(s.multi_strategy).toBe(true);
    expect(s.schedule).toBe('0 6 * * 1');
    expect(s.retries).toBe(1);
    expect(s.owner).toBe('quant-research');
    expect(s.strategies.map((x) => [x.name, x.strategy_class, x.runs])).toEqual([
      ['value', 'LongShortEquityStrategy', 2],
      ['momentum', 'MomentumStrategy', 6],
    ]);
    const momentum = s.strategies[1];
    expect(momentum?.parameters).toEqual({
      initial_capital: 500000,
      factors: ['Momentum12M'],
      stop_loss_pct: 5,
      benchmark: 'SPY',
      lookback_days: 90,
    });
    expect(momentum?.infra.db_conn_id).toBe('market_data_db');
    const runs = expandRuns(s);
    expect(runs.map((r) => `${r.index}:${r.strategy}`)).toEqual([
      '0:value',
      '1:value',
      '2:momentum',
      '3:momentum',
      '4:momentum',
      '5:momentum',
      '6:momentum',
      '7:momentum',
    ]);
    expect(runs[2]?.params).toMatchObject({ lookback_days: 60, rebalance_period: 7, benchmark: 'SPY' });
  });

  it('callbacks: dotted paths pass through to the spec', () => {
    expect(spec('with_callbacks').callbacks).toEqual({
      before: 'backtest_gitops_support.callbacks.check_batch_queue_status',
      after: 'backtest_gitops_support.callbacks.generate_backtest_report',
    });
    expect(spec('with_callbacks').schedule).toBe('@daily');
  });

  it('environments layer their defaults over the repo defaults', () => {
    const staging = loadExamples('staging');
    expect(staging.settings.environment).toBe('staging');
    expect(staging.specs.find((s) => s.dag_id === 'grid_search')?.retries).toBe(0);
    // The file's own value beats every default.
    expect(staging.specs.find((s) => s.dag_id === 'factor_comparison_2023')?.retries).toBe(1);
    expect(loadExamples('production').specs.find((s) => s.dag_id === 'grid_search')?.retries).toBe(2);
  });

  it('every example carries the schema modeline with a path that exists', () => {
    for (const name of readdirSync(join(examplesDir, 'backtests'))) {
      const first = readFileSync(join(examplesDir, 'backtests', name), 'utf8').split('\n')[0] ?? '';
      const match = /^# yaml-language-server: \$schema=(.+)$/.exec(first);
      expect(match, name).not.toBeNull();
      expect(() => readFileSync(join(examplesDir, 'backtests', match?.[1] ?? ''))).not.toThrow();
    }
    const settingsLine = readFileSync(join(examplesDir, 'backtest-gitops.yaml'), 'utf8').split('\n')[0] ?? '';
    const settingsSchema = /\$schema=(.+)$/.exec(settingsLine)?.[1] ?? '';
    expect(() => readFileSync(join(examplesDir, settingsSchema))).not.toThrow();
  });
});
