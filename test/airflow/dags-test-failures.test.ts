import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../support/moto.js';
import { AIRFLOW_VENVS } from '../support/python.js';
import { type DagsTestResult, dagsTest, startMotoBatch } from './e2e/dags-test.js';
import { buildSpec } from './spec-builder.js';

// Every Batch job fails (moto's MOTO_SIMPLE_BATCH_FAIL_AFTER): the mapped runs fail, `after`
// still runs (trigger rule all_done) and its report counts no successful run.
let moto: MotoServer;

beforeAll(async () => {
  moto = await startMotoBatch(true);
});

afterAll(async () => {
  await moto?.stop();
});

describe.each(AIRFLOW_VENVS)('failing Batch jobs in $label', ({ venv }) => {
  let result: DagsTestResult;
  const spec = buildSpec({
    dag_id: `e2e_failing_${venv}`,
    retries: 0,
    callbacks: { before: null, after: 'backtest_gitops_support.callbacks.generate_backtest_report' },
    strategies: [{ param_grid: { stop_loss_pct: [3, 5] } }],
  });

  beforeAll(async () => {
    result = await dagsTest(venv, spec, moto);
  });

  it('fails each run, then runs after, whose report counts 0 of 2', () => {
    expect(result.jobs.map((j) => j.status)).toEqual(['FAILED', 'FAILED']);
    expect(result.states).toEqual({
      before: 'success',
      runs: 'success',
      'backtest[0]': 'failed',
      'backtest[1]': 'failed',
      after: 'success',
    });
    expect(result.xcoms['after/backtest_report']).toMatchObject({
      total_backtests: 2,
      successful_backtests: 0,
      success_rate: 0,
    });
  });
});
