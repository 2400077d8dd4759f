import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandRuns } from '../../src/config/expand-runs.js';
import type { BacktestSpec } from '../../src/config/types.js';
import {
  buildDagPayload,
  jobName,
  renderRepo,
  resultsS3Uri,
  runEnvironment,
} from '../../src/render/index.js';
import { airflowEnv, type EnvVar } from '../support/airflow.js';
import { MOTO_ENV, type MotoServer, startMoto } from '../support/moto.js';
import { AIRFLOW_VENVS, projectRoot, type VenvName, venvBin } from '../support/python.js';
import { buildSpec } from './spec-builder.js';
import { writeDagFolder } from './write-dag-folder.js';

// `airflow dags test` of a small rendered DAG in each Airflow version, with every AWS call
// going to moto_server. moto's Batch is told not to use Docker, so submitted jobs succeed
// at once; the BatchOperator's own polling still takes ~15 s per run.
const run = promisify(execFile);
const E2E = `${projectRoot}test/airflow/e2e/`;
const BUCKET = 'backtest-results';
// biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${HOME} the DAG must pass through untouched
const JINJA_NOTE = '{{ var.value.batch_job_queue }} ${HOME} \'"';

let moto: MotoServer;

function e2eSpec(venv: VenvName): BacktestSpec {
  return buildSpec({
    dag_id: `e2e_backtest_${venv}`,
    callbacks: {
      before: 'e2e_fake_results.write_results_then_check_queue',
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

interface DagsTestResult {
  runId: string;
  xcoms: Record<string, unknown>;
  jobs: { name: string; status: string; environment: EnvVar[] }[];
}

async function dagsTest(venv: VenvName, spec: BacktestSpec): Promise<DagsTestResult> {
  const home = await mkdtemp(join(tmpdir(), `airflow-e2e-${venv}-`));
  const dags = await writeDagFolder(renderRepo([spec]), `e2e-${venv}`);
  await copyFile(`${E2E}e2e_fake_results.py`, join(dags, 'e2e_fake_results.py'));
  const db = join(home, 'airflow.db');
  const env = airflowEnv(home, {
    ...MOTO_ENV,
    AIRFLOW__CORE__DAGS_FOLDER: dags,
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${db}`,
    AIRFLOW_CONN_AWS_DEFAULT: JSON.stringify({
      conn_type: 'aws',
      extra: { endpoint_url: moto.endpoint, region_name: MOTO_ENV.AWS_REGION },
    }),
    // Infra the config leaves out resolves at run time from these Variables.
    AIRFLOW_VAR_BATCH_JOB_QUEUE: 'backtest-queue',
    AIRFLOW_VAR_BATCH_JOB_DEFINITION: 'backtest-job',
    AIRFLOW_VAR_TRADING_STRATEGIES_BUCKET: BUCKET,
  });
  try {
    const airflow = venvBin(venv, 'airflow');
    await run(airflow, ['db', 'migrate'], { env, maxBuffer: 64 << 20 });
    await run(airflow, ['dags', 'test', spec.dag_id, '2024-01-02'], {
      env,
      maxBuffer: 64 << 20,
      timeout: 480_000,
    });
    const python = venvBin(venv, 'python');
    const xcomOut = await run(python, [`${E2E}read_xcoms.py`, db, spec.dag_id], { env });
    const { run_ids, xcoms } = JSON.parse(xcomOut.stdout) as {
      run_ids: string[];
      xcoms: Record<string, unknown>;
    };
    const jobsOut = await run(venvBin('tools', 'python'), [
      `${E2E}moto_batch.py`,
      moto.endpoint,
      'jobs',
      'backtest-queue',
    ]);
    const jobs = (JSON.parse(jobsOut.stdout) as DagsTestResult['jobs']).filter((j) =>
      j.name.startsWith(spec.dag_id),
    );
    expect(run_ids).toHaveLength(1);
    return { runId: run_ids[0] as string, xcoms, jobs };
  } finally {
    await rm(home, { recursive: true, force: true });
    await rm(dags, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  moto = await startMoto();
  const res = await fetch(`${moto.endpoint}/moto-api/config`, {
    method: 'POST',
    body: JSON.stringify({ batch: { use_docker: false } }),
  });
  expect(res.ok).toBe(true);
  await run(venvBin('tools', 'python'), [`${E2E}moto_batch.py`, moto.endpoint, 'setup']);
});

afterAll(async () => {
  await moto?.stop();
});

describe.each(AIRFLOW_VENVS)('airflow dags test against moto in $label', ({ venv }) => {
  const spec = e2eSpec(venv);
  let result: DagsTestResult;

  beforeAll(async () => {
    result = await dagsTest(venv, spec);
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
  });
});
