import { describe, expect, it } from 'vitest';
import { loadConfigRepo } from '../config/index.js';
import type { BacktestSpec } from '../config/types.js';
import { runLocations, runsWithStates, taskLogUrl } from './sweep-runs.js';

function spec(yaml: string): BacktestSpec {
  const loaded = loadConfigRepo(new Map([['backtests/s.yaml', yaml]]), {});
  return loaded.specs[0] as BacktestSpec;
}

describe('where each run executes in Airflow', () => {
  it('a grid up to 1,024 runs: task backtest, map index = run index', () => {
    const s = spec(
      'strategy_class: S\nstart_date: 2022-01-01\nend_date: 2022-12-31\nparam_grid:\n  take_profit_pct: [1, 2, 3]\n',
    );
    expect(runLocations(s)).toEqual([0, 1, 2].map((i) => ({ index: i, taskId: 'backtest', mapIndex: i })));
  });

  it('a larger grid: parts of equal size, as the template lays them out', () => {
    const values = Array.from({ length: 1500 }, (_, i) => i + 1).join(', ');
    const s = spec(
      `strategy_class: S\nstart_date: 2022-01-01\nend_date: 2022-12-31\nparam_grid:\n  take_profit_pct: [${values}]\n`,
    );
    const at = runLocations(s);
    expect(at[749]).toEqual({ index: 749, taskId: 'backtest_part_000', mapIndex: 749 });
    expect(at[750]).toEqual({ index: 750, taskId: 'backtest_part_001', mapIndex: 0 });
    expect(at[1499]).toEqual({ index: 1499, taskId: 'backtest_part_001', mapIndex: 749 });
  });

  it('maps Airflow states to runs and links the failed ones', () => {
    const s = spec(
      'strategy_class: S\nstart_date: 2022-01-01\nend_date: 2022-12-31\nparam_grid:\n  take_profit_pct: [1, 2, 3]\n',
    );
    const runs = runsWithStates(
      s,
      [
        { task_id: 'backtest', map_index: '0', state: 'success' },
        { task_id: 'backtest', map_index: '1', state: 'up_for_retry' },
        { task_id: 'backtest', map_index: '2', state: 'upstream_failed' },
      ],
      (task, i) => taskLogUrl('airflow.example', 2, 'd', 'r 1', task, i),
    );
    expect(runs.map((r) => r.state)).toEqual(['success', 'running', 'failed']);
    expect(runs[2]?.link).toBe(
      'https://airflow.example/log?dag_id=d&task_id=backtest&dag_run_id=r%201&map_index=2',
    );
  });
});
