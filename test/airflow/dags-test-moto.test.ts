import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandRuns } from '../../src/config/expand-runs.js';
import type { BacktestSpec } from '../../src/config/types.js';
import { buildDagPayload, jobName, resultsS3Uri, runEnvironment } from '../../src/render/index.js';
import type { MotoServer } from '../support/moto.js';
import { AIRFLOW_VENVS, type VenvName } from '../support/python.js';
import { BUCKET, type DagsTestResult, dagsTest, startMotoBatch } from './e2e/dags-test.js';
import { buildSpec } from './spec-builder.js';

// `airflow dags test` of a small rendered DAG in each Airflow version, with every AWS call
// going to moto_server. moto's Batch is told not to use Docker, so submitted jobs succeed
// at once; the BatchOperator's polling sleeps run on the test clock (e2e/batch-clock).
// biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${HOME} the DAG must pass through untouched
const JINJA_NOTE = '{{ var.value.batch_job_queue }} ${HOME} \'"';

let moto: MotoServer;

function e2eSpec(venv: VenvName): BacktestSpec {
  return buildSpec({
    dag_id: `e2e_backtest_${venv}`,
    callbacks: {
      before: 'e2e_fake_results.merge_mid_sweep_then_write_results',
      after: 'backtest_gitops_support.callbacks.generate_backtest_report',
    },
    strategies: [
      {
        name: 'momentum',
        parameters: { initial_capital: 1000000, factors: ['DebtToEquity'], note: JINJA_NOTE },
        param_grid: { take_profit_pct: [5, 10.5], stop_loss_pct: [3] },
      },
      { name: 'value', infra: { job_queue: 'backtest-queue', db_conn_id: 'research_db' } },
    ],
  });
}

// Both versions' `dags test` run at once: most of their time is the BatchOperator's polling
// sleeps, so running them side by side halves the file's wall time and costs no extra CPU.
const runs = new Map<VenvName, Promise<DagsTestResult>>();

beforeAll(async () => {
  moto = await startMotoBatch();
  for (const { venv } of AIRFLOW_VENVS) {
    const run = dagsTest(venv, e2eSpec(venv), moto);
    run.catch(() => undefined); // reported by the describe that awaits it
    runs.set(venv, run);
  }
});

afterAll(async () => {
  await moto?.stop();
});

describe.each(AIRFLOW_VENVS)('airflow dags test against moto in $label', ({ venv }) => {
  const spec = e2eSpec(venv);
  let result: DagsTestResult;

  beforeAll(async () => {
    result = await (runs.get(venv) as Promise<DagsTestResult>);
  });

  it('submits one Batch job per run with the expected name and environment', () => {
    const payload = buildDagPayload(spec);
    const prefixes = new Map(payload.strategies.map((s) => [s.name, s.job_name_prefix]));
    const expected = expandRuns(spec).map((r) => ({
      name: jobName(prefixes.get(r.strategy) ?? '', r.index),
      status: 'SUCCEEDED',
      environment: [
        ...runEnvironment(r, spec),
        {
          name: 'RESULTS_S3_URI',
          value: resultsS3Uri(BUCKET, spec.dag_id, result.runId, r.strategy, r.index),
        },
      ],
    }));
    expect(result.jobs).toEqual(expected.sort((a, b) => (a.name < b.name ? -1 : 1)));
    const note = result.jobs[0]?.environment.find((e) => e.name === 'PARAM_NOTE');
    expect(note?.value).toBe(JINJA_NOTE);
  });

  it("waited on every Batch job through the provider's polling, under the test clock", () => {
    // BatchClientHook.wait_for_job sleeps at least three times per job (before polling for
    // RUNNING, before polling for completion, between status checks), each a random 1-10 s
    // (or a back-off) that e2e/batch-clock/sitecustomize.py shortened and logged.
    expect(result.jobs.length).toBeGreaterThan(0);
    expect(result.batchSleeps.length).toBeGreaterThanOrEqual(3 * result.jobs.length);
    expect(result.batchSleeps.filter((s) => s >= 1).length).toBeGreaterThanOrEqual(2 * result.jobs.length);
  });

  it('ran the before callback (queue check) and the after callback (report with the S3 results)', () => {
    expect(result.xcoms['before/return_value']).toEqual({ queues: ['backtest-queue'] });
    const report = result.xcoms['after/backtest_report'] as Record<string, unknown>;
    expect(report).toMatchObject({
      dag_id: spec.dag_id,
      run_id: result.runId,
      total_backtests: 3,
      successful_backtests: 3,
      success_rate: 100,
    });
    const results = report.results as Record<string, { objects: number; keys: string[] }>;
    expect(results.momentum?.objects).toBe(2);
    expect(results.value?.keys).toEqual([
      `backtests/${spec.dag_id}/${result.runId}/value/run-00002/result.json`,
    ]);
    expect(result.xcoms['after/return_value']).toEqual(report);
    expect(Object.values(result.states).every((state) => state === 'success')).toBe(true);
    expect(Object.keys(result.states).sort()).toEqual([
      'after',
      'before',
      'momentum.backtest[0]',
      'momentum.backtest[1]',
      'momentum.runs',
      'value.backtest[0]',
      'value.runs',
    ]);
  });

  it("keeps a run's parameters as they were when it started, though the config changed mid-sweep", () => {
    // The before callback replaced every grid value of the loaded DAG's CONFIG (as a worker
    // parsing a freshly merged file would see it) after the first task took its snapshot.
    const merged = result.xcoms['before/merged_grid'] as { value: string }[][][];
    expect(merged[0]?.[0]?.map((v) => v.value)).toEqual(['merged-0', 'merged-1']);
    // ...and every job still got the grid the run started with (checked in full above).
    const env = (job: DagsTestResult['jobs'][number], name: string) =>
      job.environment.find((e) => e.name === name)?.value;
    const momentum = result.jobs.filter((j) => env(j, 'BACKTEST_STRATEGY') === 'momentum');
    expect(momentum.map((j) => env(j, 'TAKE_PROFIT_PCT'))).toEqual(['5', '10.5']);
    expect(JSON.stringify(result.jobs)).not.toContain('merged-');
  });

  it('labels each mapped Batch task instance with its run and grid values (the map index in the UI)', () => {
    expect(result.labels).toEqual({
      'momentum.backtest[0]': 'run 0: take_profit_pct=5',
      'momentum.backtest[1]': 'run 1: take_profit_pct=10.5',
      'value.backtest[0]': 'run 2',
    });
  });
});
