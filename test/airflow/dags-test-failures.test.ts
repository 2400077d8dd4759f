import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDagPayload, jobName } from '../../src/render/index.js';
import { readRunOutcomes } from '../../src/results/read-results.js';
import { dagRunPrefix, runStatusKey } from '../../src/results/results-store.js';
import { S3ResultsStore } from '../../src/results/s3-results-store.js';
import { runsWithStates } from '../../src/results/sweep-runs.js';
import { type MotoServer, motoS3Client } from '../support/moto.js';
import { AIRFLOW_VENVS, type VenvName } from '../support/python.js';
import { BUCKET, batchJobIds, type DagsTestResult, dagsTest, startMotoBatch } from './e2e/dags-test.js';
import { buildSpec } from './spec-builder.js';

// Every Batch job fails (moto's MOTO_SIMPLE_BATCH_FAIL_AFTER): the mapped runs fail, `after`
// still runs (trigger rule all_done) and its report counts no successful run.
let moto: MotoServer;

function failingSpec(venv: VenvName) {
  return buildSpec({
    dag_id: `e2e_failing_${venv}`,
    retries: 0,
    callbacks: { before: null, after: 'backtest_gitops_support.callbacks.generate_backtest_report' },
    strategies: [{ param_grid: { stop_loss_pct: [3, 5] } }],
  });
}

// Both versions' `dags test` run at once (mostly the BatchOperator's polling sleeps).
const runs = new Map<VenvName, Promise<DagsTestResult>>();

beforeAll(async () => {
  moto = await startMotoBatch(true);
  for (const { venv } of AIRFLOW_VENVS) {
    const run = dagsTest(venv, failingSpec(venv), moto);
    run.catch(() => undefined); // reported by the describe that awaits it
    runs.set(venv, run);
  }
});

afterAll(async () => {
  await moto?.stop();
});

describe.each(AIRFLOW_VENVS)('failing Batch jobs in $label', ({ venv }) => {
  let result: DagsTestResult;
  const spec = failingSpec(venv);

  beforeAll(async () => {
    result = await (runs.get(venv) as Promise<DagsTestResult>);
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

  it("waited on every Batch job through the provider's polling, under the test clock", () => {
    // BatchClientHook.wait_for_job sleeps at least three times per job (before polling for
    // RUNNING, before polling for completion, between status checks), each a random 1-10 s
    // (or a back-off) that e2e/batch-clock/sitecustomize.py shortened and logged.
    expect(result.jobs.length).toBeGreaterThan(0);
    expect(result.batchSleeps.length).toBeGreaterThanOrEqual(3 * result.jobs.length);
    expect(result.batchSleeps.filter((s) => s >= 1).length).toBeGreaterThanOrEqual(2 * result.jobs.length);
  });

  it("leaves each failed run's Batch job id and task-log URL in run-status.json, which the report reads", async () => {
    const store = new S3ResultsStore(motoS3Client(moto.endpoint), BUCKET);
    const prefix = dagRunPrefix(spec.dag_id, result.runId);
    const ids = await batchJobIds(moto);
    const written = await Promise.all(
      [0, 1].map(async (index) =>
        JSON.parse((await store.read(runStatusKey(prefix, spec.dag_id, index))) ?? '{}'),
      ),
    );
    const prefixOfJobs = buildDagPayload(spec).strategies[0]?.job_name_prefix ?? '';
    expect(written.map((s) => s.batch_job_id)).toEqual([0, 1].map((i) => ids[jobName(prefixOfJobs, i)]));
    expect(written[0]?.batch_job_id).toMatch(/^[0-9a-f-]{36}$/);
    for (const [index, status] of written.entries()) {
      expect(status).toMatchObject({
        state: 'failed',
        try_number: 1,
        dag_id: spec.dag_id,
        dag_run_id: result.runId,
        task_id: 'backtest',
        map_index: index,
      });
      // Airflow 2: /log?...&map_index=N (its grid view), Airflow 3: .../tasks/backtest/mapped/N.
      expect(status.log_url).toMatch(
        venv === 'airflow2'
          ? new RegExp(`task_id=backtest&map_index=${index}&`)
          : new RegExp(`/tasks/backtest/mapped/${index}\\?`),
      );
    }
    // What the controller and `backtestctl results` make of them.
    const outcomes = await readRunOutcomes(
      () => store,
      prefix,
      runsWithStates(
        spec,
        [0, 1].map((i) => ({ task_id: 'backtest', map_index: i, state: 'failed' })),
      ),
    );
    expect(outcomes.map((o) => [o.state, o.batchJobId, o.link])).toEqual(
      written.map((s) => ['failed', s.batch_job_id, s.log_url]),
    );
  });
});
