import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BacktestSpec } from '../../../src/config/types.js';
import { renderRepo } from '../../../src/render/index.js';
import { airflowEnv, type EnvVar } from '../../support/airflow.js';
import { MOTO_ENV, type MotoServer, startMoto } from '../../support/moto.js';
import { migratedDbTemplate } from '../../support/mwaa-fake/airflow-home.js';
import { projectRoot, type VenvName, venvBin } from '../../support/python.js';
import { writeDagFolder } from '../write-dag-folder.js';

/** Harness for `airflow dags test` of rendered DAGs whose AWS calls go to moto_server. */
const run = promisify(execFile);
const E2E = `${projectRoot}test/airflow/e2e/`;
export const BUCKET = 'backtest-results';
export const QUEUE = 'backtest-queue';

/**
 * moto with Batch told not to use Docker (submitted jobs finish at once; they fail when
 * MOTO_SIMPLE_BATCH_FAIL_AFTER is set in moto's environment), a compute environment, the
 * queues, a job definition and the results bucket.
 */
export async function startMotoBatch(failJobs = false): Promise<MotoServer> {
  const previous = process.env.MOTO_SIMPLE_BATCH_FAIL_AFTER;
  if (failJobs) process.env.MOTO_SIMPLE_BATCH_FAIL_AFTER = '0';
  try {
    const moto = await startMoto();
    const res = await fetch(`${moto.endpoint}/moto-api/config`, {
      method: 'POST',
      body: JSON.stringify({ batch: { use_docker: false } }),
    });
    if (!res.ok) throw new Error(`moto config: ${res.status}`);
    await run(venvBin('tools', 'python'), [`${E2E}moto_batch.py`, moto.endpoint, 'setup']);
    return moto;
  } finally {
    if (previous === undefined) delete process.env.MOTO_SIMPLE_BATCH_FAIL_AFTER;
    else process.env.MOTO_SIMPLE_BATCH_FAIL_AFTER = previous;
  }
}

export interface DagsTestResult {
  runId: string;
  xcoms: Record<string, unknown>;
  /** Final state per task instance, `task_id` or `task_id[map_index]`. */
  states: Record<string, string>;
  /** The map index label the UI shows, per mapped task instance. */
  labels: Record<string, string | null>;
  jobs: { name: string; status: string; environment: EnvVar[] }[];
  /**
   * The Batch hook's sleeps under the test clock (e2e/batch-clock/sitecustomize.py), in the
   * seconds the provider asked for: three or more per job when the clock was in force.
   */
  batchSleeps: number[];
}

/** Renders `spec` into a fresh DAG folder and runs it once with `airflow dags test`. */
export async function dagsTest(
  venv: VenvName,
  spec: BacktestSpec,
  moto: MotoServer,
): Promise<DagsTestResult> {
  const home = await mkdtemp(join(tmpdir(), `airflow-e2e-${venv}-`));
  const dags = await writeDagFolder(renderRepo([spec]), `e2e-${venv}`);
  await copyFile(`${E2E}e2e_fake_results.py`, join(dags, 'e2e_fake_results.py'));
  const db = join(home, 'airflow.db');
  const clockLog = join(home, 'batch-clock.log');
  const env = airflowEnv(home, {
    ...MOTO_ENV,
    // The test clock: the BatchOperator's random 1-10 s polling sleeps pass 50 times faster
    // (moto finishes a job at once); each sleep is logged, and the log is checked.
    PYTHONPATH: `${E2E}batch-clock`,
    BACKTEST_BATCH_CLOCK_LOG: clockLog,
    BACKTEST_BATCH_CLOCK_SCALE: '0.02',
    AIRFLOW__CORE__DAGS_FOLDER: dags,
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${db}`,
    AIRFLOW_CONN_AWS_DEFAULT: JSON.stringify({
      conn_type: 'aws',
      extra: { endpoint_url: moto.endpoint, region_name: MOTO_ENV.AWS_REGION },
    }),
    // Infra the config leaves out resolves at run time from these Variables.
    AIRFLOW_VAR_BATCH_JOB_QUEUE: QUEUE,
    AIRFLOW_VAR_BATCH_JOB_DEFINITION: 'backtest-job',
    AIRFLOW_VAR_TRADING_STRATEGIES_BUCKET: BUCKET,
  });
  try {
    const airflow = venvBin(venv, 'airflow');
    // A copy of the DB `airflow db migrate` built once for this venv (the migration takes tens of seconds).
    await copyFile(await migratedDbTemplate(venv), db);
    // The exit code of a run with failed tasks differs between versions; the states tell.
    await run(airflow, ['dags', 'test', spec.dag_id, '2024-01-02'], {
      env,
      maxBuffer: 64 << 20,
      timeout: 480_000,
    }).catch((err: { code?: unknown }) => {
      if (typeof err.code !== 'number') throw err;
    });
    const read = await run(venvBin(venv, 'python'), [`${E2E}read_xcoms.py`, db, spec.dag_id], { env });
    const { run_ids, xcoms, states, labels } = JSON.parse(read.stdout) as {
      run_ids: string[];
      xcoms: Record<string, unknown>;
      states: Record<string, string>;
      labels: Record<string, string | null>;
    };
    const jobsOut = await run(venvBin('tools', 'python'), [
      `${E2E}moto_batch.py`,
      moto.endpoint,
      'jobs',
      QUEUE,
    ]);
    const jobs = (JSON.parse(jobsOut.stdout) as DagsTestResult['jobs']).filter((j) =>
      j.name.startsWith(spec.dag_id),
    );
    const batchSleeps = (await readFile(clockLog, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => Number(line.split(' ')[0]));
    return { runId: run_ids[0] ?? '', xcoms, states, labels, jobs, batchSleeps };
  } finally {
    await rm(home, { recursive: true, force: true });
    await rm(dags, { recursive: true, force: true });
  }
}

/** AWS Batch job ids in moto's queue, by job name. */
export async function batchJobIds(moto: MotoServer): Promise<Record<string, string>> {
  const script = `import boto3, json, sys
b = boto3.client("batch", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
jobs = []
for status in ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED"):
    jobs += b.list_jobs(jobQueue=sys.argv[2], jobStatus=status)["jobSummaryList"]
print(json.dumps({j["jobName"]: j["jobId"] for j in jobs}))`;
  const out = await run(venvBin('tools', 'python'), ['-c', script, moto.endpoint, QUEUE]);
  return JSON.parse(out.stdout) as Record<string, string>;
}
