import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MwaaCli } from '../../src/mwaa/airflow-cli.js';
import { airflowCommands } from '../../src/mwaa/airflow-commands.js';
import { createMwaaControlPlane, type MwaaControlPlane } from '../../src/mwaa/mwaa-client.js';
import { SCHEDULER_IMPORT_ERROR, verifyDeploy } from '../../src/mwaa/verify-deploy.js';
import { renderRepo } from '../../src/render/index.js';
import { MwaaError } from '../../src/shared/errors.js';
import { MOTO_ENV, type MotoServer, motoS3Client, startMoto } from '../support/moto.js';
import { type MwaaFake, startMwaaFake } from '../support/mwaa-fake/index.js';
import { backtestSpec, createBucket, remove, upload } from './fixtures.js';

// One moto, one fake (one AIRFLOW_HOME) for the file: every Airflow CLI call costs seconds.
let moto: MotoServer;
let fake: MwaaFake;
let s3: S3Client;
let plane: MwaaControlPlane;
const bucket = 'mwaa-dags';
const prefix = 'dags';
const credentials = {
  accessKeyId: MOTO_ENV.AWS_ACCESS_KEY_ID,
  secretAccessKey: MOTO_ENV.AWS_SECRET_ACCESS_KEY,
};
// The fake copies S3 into its DAG folder before every command: no stale errors to wait out.
const fast = { timeoutMs: 60_000, pollIntervalMs: 500, maxPollIntervalMs: 2_000, staleErrorGraceMs: 0 };

beforeAll(async () => {
  moto = await startMoto();
  s3 = motoS3Client(moto.endpoint);
  await createBucket(s3, bucket);
  fake = await startMwaaFake({ s3Endpoint: moto.endpoint, bucket, prefix, name: 'research-prod' });
  plane = createMwaaControlPlane({ region: fake.region, endpoint: fake.endpoint, credentials });
});

afterAll(async () => {
  await fake?.stop();
  await moto?.stop();
});

const cliFor = () => new MwaaCli({ controlPlane: plane, environment: 'research-prod', scheme: 'http' });

describe('MWAA control plane through the real SDK', () => {
  it('resolves the environment to its bucket, DAG prefix, Airflow version and web server', async () => {
    const env = await plane.resolveEnvironment('research-prod');
    expect(env).toMatchObject({
      name: 'research-prod',
      status: 'AVAILABLE',
      airflowVersion: '2.11.0',
      bucket,
      prefix,
    });
    expect(env.webserverHostname).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('names the environment and region when it does not exist', async () => {
    const err = await plane.resolveEnvironment('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MwaaError);
    expect((err as MwaaError).message).toBe("MWAA environment 'nope' not found in region us-east-1");
  });

  it('names airflow:GetEnvironment when the role may not read the environment', async () => {
    fake.deny('airflow:GetEnvironment');
    try {
      const err = await plane.resolveEnvironment('research-prod').catch((e: unknown) => e);
      expect((err as MwaaError).message).toBe(
        "access denied calling airflow:GetEnvironment on MWAA environment 'research-prod' in region us-east-1",
      );
    } finally {
      fake.allow('airflow:GetEnvironment');
    }
  });

  it('names the IAM action when access is denied', async () => {
    fake.deny('airflow:CreateCliToken');
    try {
      const err = await cliFor()
        .run(['version'])
        .catch((e: unknown) => e);
      expect((err as MwaaError).code).toBe('mwaa-access-denied');
      expect((err as MwaaError).message).toContain('airflow:CreateCliToken');
      expect((err as MwaaError).hint).toContain('environment/research-prod');
    } finally {
      fake.allow('airflow:CreateCliToken');
    }
  });
});

describe('Airflow CLI through /aws_mwaa/cli', () => {
  it('runs the real Airflow and refreshes an expired token once', async () => {
    const cli = cliFor();
    const airflow = airflowCommands(cli);
    expect(await airflow.version()).toBe('2.11.0');
    fake.expireTokens();
    const hitsBefore = fake.stats.expiredTokenHits;
    await airflow.setVariable('batch_job_queue', "queue with 'quotes' $(x)");
    expect(await airflow.getVariable('batch_job_queue')).toBe("queue with 'quotes' $(x)");
    expect(fake.stats.expiredTokenHits).toBe(hitsBefore + 1);
    expect(cli.tokensIssued).toBe(2);
  });

  it('reports a command MWAA does not allow-list as rejected', async () => {
    const err = await cliFor()
      .run(['users', 'create', '--username', 'x'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MwaaError);
    expect((err as MwaaError).code).toBe('mwaa-cli-rejected');
    expect(fake.stats.rejected.at(-1)).toContain('users create');
  });
});

/** A DAG Airflow 2.11 parses and serializes: what a good deploy looks like to the scheduler. */
const goodDag = (dagId: string) => ({
  key: `${dagId}.py`,
  content: [
    'import pendulum',
    'from airflow import DAG',
    'from airflow.operators.empty import EmptyOperator',
    `with DAG(${JSON.stringify(dagId)}, start_date=pendulum.datetime(2024, 1, 1), schedule=None):`,
    '    EmptyOperator(task_id="run")',
    '',
  ].join('\n'),
});

const changed = (dagId: string, action: 'create' | 'update' | 'delete') => ({
  dag_id: dagId,
  source: `backtests/${dagId}.yaml`,
  action,
});

describe('verifyDeploy against real Airflow', () => {
  it('maps a hand-broken DAG file to its config and readies nothing; once fixed, unpauses and triggers the new DAG once', async () => {
    const broken = {
      key: 'momentum_broken.py',
      content: 'from airflow import DAG\nraise ValueError("hand-broken DAG")\n',
    };
    await upload(s3, bucket, prefix, [goodDag('momentum_good'), broken]);
    const deploy = [changed('momentum_good', 'create'), changed('momentum_broken', 'update')];
    const check = await verifyDeploy({
      cli: airflowCommands(cliFor()),
      changed: deploy,
      ...fast,
      unpauseNew: true,
      triggerNew: true,
    });
    expect(check.state).toBe('failed');
    expect(check.message).toContain('momentum_broken (backtests/momentum_broken.yaml)');
    const byId = Object.fromEntries(check.dags.map((d) => [d.dag_id, d]));
    expect(byId.momentum_broken).toMatchObject({ imported: false, source: 'backtests/momentum_broken.yaml' });
    expect(byId.momentum_broken?.import_error).toContain('ValueError: hand-broken DAG');
    expect(byId.momentum_good?.imported).toBe(true);
    // Nothing is unpaused while the deploy has import errors.
    expect(byId.momentum_good?.unpaused).toBeNull();

    await upload(s3, bucket, prefix, [goodDag('momentum_broken')]);
    const fixed = await verifyDeploy({
      cli: airflowCommands(cliFor()),
      changed: deploy,
      ...fast,
      unpauseNew: true,
      triggerNew: true,
    });
    expect(fixed.state).toBe('confirmed');
    expect(fixed.dags.find((d) => d.dag_id === 'momentum_good')).toMatchObject({
      imported: true,
      unpaused: true,
      triggered: true,
    });
    // Only new DAGs are readied.
    expect(fixed.dags.find((d) => d.dag_id === 'momentum_broken')).toMatchObject({
      unpaused: null,
      triggered: null,
    });
    const listed = await airflowCommands(cliFor()).listDags();
    expect(listed.find((d) => d.dag_id === 'momentum_good')?.is_paused).toBe(false);
    expect(fake.stats.cliCalls.filter((c) => c.startsWith('dags trigger'))).toEqual([
      'dags trigger momentum_good',
    ]);
  });

  it('an import error in a foreign file with our file name (team_x/momentum_same.py) is never reported as ours', async () => {
    // Both mention airflow and DAG, or Airflow's safe mode would not even parse them.
    const ours = {
      key: 'momentum_same.py',
      content: 'from airflow import DAG\nraise ValueError("ours is broken")\n',
    };
    const foreign = {
      key: 'team_x/momentum_same.py',
      content: 'from airflow import DAG\nDB_PASSWORD = "hunter2-not-ours"\nraise RuntimeError(DB_PASSWORD)\n',
    };
    await upload(s3, bucket, prefix, [ours, foreign]);
    try {
      const check = await verifyDeploy({
        cli: airflowCommands(cliFor()),
        changed: [changed('momentum_same', 'update')],
        ...fast,
        unpauseNew: false,
        triggerNew: false,
      });
      const dag = check.dags.find((d) => d.dag_id === 'momentum_same');
      expect(dag?.import_error).toContain('ValueError: ours is broken');
      expect(JSON.stringify(check)).not.toContain('hunter2');
      expect(JSON.stringify(check)).not.toContain('team_x');
    } finally {
      await remove(s3, bucket, prefix, [ours.key, foreign.key]);
    }
  });

  it('reports a DAG that parses but the scheduler cannot serialize (mapped BatchOperator, amazon provider 9.9)', async () => {
    const mapped = {
      key: 'mapped_batch.py',
      content: [
        'import pendulum',
        'from airflow import DAG',
        'from airflow.providers.amazon.aws.operators.batch import BatchOperator',
        'with DAG("mapped_batch", start_date=pendulum.datetime(2024, 1, 1), schedule=None):',
        '    BatchOperator.partial(task_id="run", job_name="x", job_queue="q", job_definition="d").expand(',
        '        container_overrides=[{}, {}]',
        '    )',
        '',
      ].join('\n'),
    };
    await upload(s3, bucket, prefix, [mapped]);
    const check = await verifyDeploy({
      cli: airflowCommands(cliFor()),
      changed: [changed('mapped_batch', 'create')],
      ...fast,
      unpauseNew: true,
      triggerNew: true,
    });
    expect(check.state).toBe('failed');
    expect(check.dags[0]).toMatchObject({
      imported: false,
      import_error: SCHEDULER_IMPORT_ERROR,
      unpaused: null,
    });
    await remove(s3, bucket, prefix, ['mapped_batch.py']);
  });

  // The renderer maps BatchOperator with .partial().expand(); amazon provider 9.9's
  // operator_extra_links property broke serialization of mapped tasks on Airflow 2.11 until the
  // template pinned the links (see the test above): this is the check that caught it.
  it('confirms a rendered config imported on Airflow 2.11', async () => {
    await upload(s3, bucket, prefix, renderRepo([backtestSpec('rendered_momentum')]));
    const check = await verifyDeploy({
      cli: airflowCommands(cliFor()),
      changed: [changed('rendered_momentum', 'create')],
      ...fast,
      unpauseNew: false,
      triggerNew: false,
    });
    expect(check.dags[0]?.import_error ?? null).toBeNull();
    expect(check.state).toBe('confirmed');
  });

  it('defers the check while the environment is UPDATING', async () => {
    fake.setStatus('UPDATING');
    try {
      const env = await plane.resolveEnvironment('research-prod');
      const calls = fake.stats.cliCalls.length;
      const check = await verifyDeploy({
        cli: airflowCommands(cliFor()),
        environment: env,
        changed: [{ dag_id: 'momentum_good', source: 'backtests/momentum_good.yaml', action: 'update' }],
        ...fast,
        unpauseNew: false,
        triggerNew: false,
      });
      expect(check.state).toBe('deferred');
      expect(check.message).toContain("'research-prod' is UPDATING");
      expect(fake.stats.cliCalls.length).toBe(calls);
    } finally {
      fake.setStatus('AVAILABLE');
    }
  });

  it('reports a DAG that never appears as a timeout and deletes nothing', async () => {
    fake.setSyncPaused(true);
    try {
      await upload(s3, bucket, prefix, renderRepo([backtestSpec('never_synced')]));
      const check = await verifyDeploy({
        cli: airflowCommands(cliFor()),
        changed: [{ dag_id: 'never_synced', source: 'backtests/never_synced.yaml', action: 'create' }],
        timeoutMs: 1_000,
        pollIntervalMs: 500,
        unpauseNew: true,
        triggerNew: true,
      });
      expect(check.state).toBe('timeout');
      expect(check.message).toMatch(/never_synced; nothing was deleted/);
      expect(check.dags[0]).toMatchObject({ imported: false, unpaused: null, triggered: null });
      const keys = (
        await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/` }))
      ).Contents?.map((o) => o.Key);
      expect(keys).toContain('dags/never_synced.py');
    } finally {
      fake.setSyncPaused(false);
    }
  });
});
