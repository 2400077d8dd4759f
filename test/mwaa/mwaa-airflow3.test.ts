import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MwaaCli } from '../../src/mwaa/airflow-cli.js';
import { airflowCommands } from '../../src/mwaa/airflow-commands.js';
import { airflowMajor } from '../../src/mwaa/environment.js';
import { createMwaaControlPlane, type MwaaControlPlane } from '../../src/mwaa/mwaa-client.js';
import { verifyDeploy } from '../../src/mwaa/verify-deploy.js';
import { renderRepo } from '../../src/render/index.js';
import { MOTO_ENV, type MotoServer, motoS3Client, startMoto } from '../support/moto.js';
import { type MwaaFake, startMwaaFake } from '../support/mwaa-fake/index.js';
import { backtestSpec, createBucket, upload } from './fixtures.js';

// An MWAA environment on Airflow 3.0 (the fake runs the airflow3 venv's CLI).
let moto: MotoServer;
let fake: MwaaFake;
let s3: S3Client;
let plane: MwaaControlPlane;
const bucket = 'mwaa-af3-dags';

beforeAll(async () => {
  moto = await startMoto();
  s3 = motoS3Client(moto.endpoint);
  await createBucket(s3, bucket);
  fake = await startMwaaFake({
    s3Endpoint: moto.endpoint,
    bucket,
    prefix: 'dags',
    name: 'research-af3',
    venv: 'airflow3',
  });
  plane = createMwaaControlPlane({
    region: fake.region,
    endpoint: fake.endpoint,
    credentials: { accessKeyId: MOTO_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_ENV.AWS_SECRET_ACCESS_KEY },
  });
});

afterAll(async () => {
  await fake?.stop();
  await moto?.stop();
});

describe('MWAA on Airflow 3', () => {
  it('resolves to Airflow major 3 and confirms rendered configs imported, a broken file mapped to its config', async () => {
    const env = await plane.resolveEnvironment('research-af3');
    expect(airflowMajor(env.airflowVersion)).toBe(3);
    const files = renderRepo([backtestSpec('momentum_af3')], { airflowMajor: 3 });
    await upload(s3, bucket, 'dags', [
      ...files,
      {
        key: 'value_af3.py',
        content: 'from airflow import DAG\nraise ImportError("no module named strategies")\n',
      },
    ]);
    const check = await verifyDeploy({
      cli: airflowCommands(new MwaaCli({ controlPlane: plane, environment: 'research-af3', scheme: 'http' })),
      environment: env,
      changed: [
        { dag_id: 'momentum_af3', source: 'backtests/momentum_af3.yaml', action: 'create' },
        { dag_id: 'value_af3', source: 'backtests/value_af3.yaml', action: 'create' },
      ],
      timeoutMs: 60_000,
      pollIntervalMs: 500,
      unpauseNew: true,
      triggerNew: false,
    });
    expect(check.state).toBe('failed');
    const byId = Object.fromEntries(check.dags.map((d) => [d.dag_id, d]));
    expect(byId.momentum_af3).toMatchObject({ imported: true, import_error: null });
    expect(byId.value_af3).toMatchObject({ imported: false, source: 'backtests/value_af3.yaml' });
    expect(byId.value_af3?.import_error).toContain('ImportError: no module named strategies');
  });

  it('once the broken file is fixed, confirms both and unpauses and triggers the new DAGs', async () => {
    await upload(s3, bucket, 'dags', renderRepo([backtestSpec('value_af3')], { airflowMajor: 3 }));
    const check = await verifyDeploy({
      cli: airflowCommands(new MwaaCli({ controlPlane: plane, environment: 'research-af3', scheme: 'http' })),
      changed: [
        { dag_id: 'momentum_af3', source: 'backtests/momentum_af3.yaml', action: 'create' },
        { dag_id: 'value_af3', source: 'backtests/value_af3.yaml', action: 'create' },
      ],
      timeoutMs: 60_000,
      pollIntervalMs: 500,
      unpauseNew: true,
      triggerNew: true,
    });
    expect(check.state).toBe('confirmed');
    for (const d of check.dags) expect(d).toMatchObject({ imported: true, unpaused: true, triggered: true });
  });
});
