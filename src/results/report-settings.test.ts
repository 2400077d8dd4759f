import { describe, expect, it } from 'vitest';
import { loadConfigRepo } from '../config/index.js';
import type { BacktestSpec } from '../config/types.js';
import { reportSettings } from './collect-dag-run.js';

const BASE = 'strategy_class: S\nstart_date: 2022-01-01\nend_date: 2022-12-31\n';

function load(text: string, settings?: string) {
  const files = new Map([['backtests/a.yaml', text]]);
  if (settings) files.set('backtest-gitops.yaml', settings);
  return loadConfigRepo(files);
}

describe('report: in a config', () => {
  it('sets the objective and the metric columns; the defaults fill the rest', () => {
    const spec = load(`${BASE}report:\n  objective: total_return\n`).specs[0] as BacktestSpec;
    expect(reportSettings(spec)).toEqual({
      objective: 'total_return',
      metrics: ['sharpe', 'total_return', 'max_drawdown', 'trades'],
    });
    const plain = load(BASE).specs[0] as BacktestSpec;
    expect(reportSettings(plain).objective).toBe('sharpe');
  });

  it('may come from the repo defaults, key by key', () => {
    const spec = load(
      `${BASE}report:\n  objective: calmar\n`,
      'defaults:\n  report:\n    metrics: [calmar, sharpe]\n',
    ).specs[0] as BacktestSpec;
    expect(reportSettings(spec)).toEqual({ objective: 'calmar', metrics: ['calmar', 'sharpe'] });
  });

  it('run_on_merge: true is carried to the spec; absent is off', () => {
    expect((load(`${BASE}run_on_merge: true\n`).specs[0] as BacktestSpec).run_on_merge).toBe(true);
    expect((load(BASE).specs[0] as BacktestSpec).run_on_merge).toBeUndefined();
    expect(load(`${BASE}run_on_merge: yes please\n`).issues[0]?.message).toContain('true or false');
  });

  it('reports a bad metric name or a misspelt key at its line', () => {
    const bad = load(`${BASE}report:\n  objective: 1bad\n`).issues;
    expect(bad).toEqual([expect.objectContaining({ line: 5, code: 'invalid-value' })]);
    const typo = load(`${BASE}report:\n  objectiv: x\n`).issues;
    expect(typo[0]?.message).toContain('`objectiv`');
    expect(typo[0]?.hint).toContain('objective');
  });
});
