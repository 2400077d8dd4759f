import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderRepo } from '../../src/render/index.js';
import { airflowEnv } from '../support/airflow.js';
import { MOTO_ENV, type MotoServer, startMoto } from '../support/moto.js';
import { AIRFLOW_VENVS, projectRoot, venvBin } from '../support/python.js';
import { writeDagFolder } from './write-dag-folder.js';

// The built-in queue check against moto's Batch, called directly in each Airflow version
// (the full DAG run is in dags-test-moto.test.ts): enabled, disabled, missing, and the
// Variable fallback when the config names no queue.
const run = promisify(execFile);
let moto: MotoServer;
let support = '';
let home = '';

beforeAll(async () => {
  moto = await startMoto();
  await fetch(`${moto.endpoint}/moto-api/config`, {
    method: 'POST',
    body: JSON.stringify({ batch: { use_docker: false } }),
  });
  await run(venvBin('tools', 'python'), [
    `${projectRoot}test/airflow/e2e/moto_batch.py`,
    moto.endpoint,
    'setup',
  ]);
  support = await writeDagFolder(renderRepo([]), 'support');
  home = await mkdtemp(join(tmpdir(), 'airflow-callbacks-'));
});

afterAll(async () => {
  await moto?.stop();
  for (const dir of [support, home]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe.each(AIRFLOW_VENVS)('check_batch_queue_status in $label', ({ venv }) => {
  it('passes for an ENABLED queue and fails for a disabled or missing one', async () => {
    const env = airflowEnv(home, {
      ...MOTO_ENV,
      AIRFLOW_CONN_AWS_DEFAULT: JSON.stringify({ conn_type: 'aws', extra: { endpoint_url: moto.endpoint } }),
      AIRFLOW_VAR_BATCH_JOB_QUEUE: 'backtest-queue',
    });
    const { stdout } = await run(
      venvBin(venv, 'python'),
      [
        `${projectRoot}test/airflow/e2e/call_queue_check.py`,
        support,
        'backtest-queue',
        'disabled-queue',
        'nope',
        '-',
      ],
      { env },
    );
    const results = JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as {
      queue: string;
      ok?: unknown;
      error?: string;
    }[];
    expect(results[0]).toEqual({ queue: 'backtest-queue', ok: { queues: ['backtest-queue'] } });
    expect(results[1]?.error).toMatch(
      /AirflowException: AWS Batch job queue 'disabled-queue' is not available \(state DISABLED/,
    );
    expect(results[2]?.error).toMatch(/AirflowException: AWS Batch job queue 'nope' does not exist/);
    expect(results[3]).toEqual({ queue: '-', ok: { queues: ['backtest-queue'] } });
  });
});
