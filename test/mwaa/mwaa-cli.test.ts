import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOTO_ENV, type MotoServer, motoS3Client, startMoto } from '../support/moto.js';
import { type MwaaFake, startMwaaFake } from '../support/mwaa-fake/index.js';
import { projectRoot } from '../support/python.js';
import { runBacktestctl } from '../support/run-cli.js';
import { createBucket } from './fixtures.js';

// backtestctl against the MWAA fake (real Airflow 2.11) and moto S3, in-process.
let moto: MotoServer;
let fake: MwaaFake;
let s3: S3Client;
let repo: string;
const bucket = 'research-mwaa-bucket';
/** The examples/ repo: [dag_id, config file name]. */
const EXAMPLE_DAGS = [
  ['factor_comparison_2023', 'factor_comparison'],
  ['grid_search', 'grid_search'],
  ['mixed_grid', 'mixed_grid'],
  ['single_backtest', 'single_backtest'],
  ['with_callbacks', 'with_callbacks'],
] as const;

const cli = (args: string[]) =>
  runBacktestctl(args, {
    cwd: repo,
    env: {
      ...MOTO_ENV,
      PATH: process.env.PATH,
      AWS_ENDPOINT_URL_S3: moto.endpoint,
      BACKTEST_GITOPS_MWAA_ENDPOINT: fake.endpoint,
    },
  });

beforeAll(async () => {
  // The S3 client of the target reads credentials through the SDK's standard chain.
  Object.assign(process.env, MOTO_ENV);
  moto = await startMoto();
  s3 = motoS3Client(moto.endpoint);
  await createBucket(s3, bucket);
  fake = await startMwaaFake({ s3Endpoint: moto.endpoint, bucket, prefix: 'dags', name: 'research-prod' });
  repo = mkdtempSync(join(tmpdir(), 'mwaa-cli-repo-'));
  cpSync(join(projectRoot, 'examples'), repo, { recursive: true });
});

afterAll(async () => {
  await fake?.stop();
  await moto?.stop();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

describe('backtestctl with --target mwaa://', () => {
  it('applies to the environment bucket and reports, per DAG, what Airflow imported', async () => {
    const res = await cli([
      'apply',
      '--target',
      'mwaa://research-prod',
      '--yes',
      '--wait-seconds',
      '120',
      '--unpause-new',
    ]);
    expect(res.stderr).toContain("checking that MWAA environment 'research-prod' imports 5 changed DAG(s)");
    expect(res.stdout).toMatch(
      /Applied commit .* to mwaa:\/\/research-prod \(s3:\/\/research-mwaa-bucket\/dags\): 7 created/,
    );
    expect(res.stdout).toContain('Import check (confirmed');
    for (const [dag, config] of EXAMPLE_DAGS) {
      expect(res.stdout).toMatch(new RegExp(`imported +${dag} \\(backtests/${config}\\.yaml\\) — unpaused`));
    }
    expect(res.code).toBe(0);
  });

  it('shows the environment and the import state of our DAGs', async () => {
    const res = await cli(['mwaa', 'status', '--environment', 'research-prod']);
    expect(res.stdout).toContain('Status:       AVAILABLE');
    expect(res.stdout).toContain('Airflow:      2.11.0');
    expect(res.stdout).toContain('DAG folder:   s3://research-mwaa-bucket/dags');
    expect(res.stdout).toMatch(/Our DAGs: +5 owned/);
    expect(res.stdout).toMatch(/imported +single_backtest \(active\) +backtests\/single_backtest\.yaml/);
    const json = await cli(['mwaa', 'status', '--environment', 'research-prod', '--format', 'json']);
    const status = JSON.parse(json.stdout) as { dags: { dag_id: string; state: string }[] };
    expect(status.dags.map((d) => d.dag_id).sort()).toEqual(EXAMPLE_DAGS.map(([dag]) => dag).sort());
    expect(status.dags.every((d) => d.state === 'imported')).toBe(true);
    expect(json.code).toBe(0);
  });

  it('defers the import check while the environment is UPDATING (files still uploaded)', async () => {
    const config = join(repo, 'backtests', 'single_backtest.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace(/^description: .*$/m, 'description: touched'));
    fake.setStatus('UPDATING');
    try {
      const res = await cli(['apply', '--target', 'mwaa://research-prod', '--yes']);
      expect(res.stdout).toContain('1 updated');
      expect(res.stdout).toContain('Import check (deferred');
      expect(res.stdout).toContain("'research-prod' is UPDATING, not AVAILABLE");
      expect(res.code).toBe(0);
    } finally {
      fake.setStatus('AVAILABLE');
    }
  });

  it('syncs the Airflow Variables from backtest-gitops.yaml and reports only changes', async () => {
    const first = await cli([
      'mwaa',
      'variables',
      'sync',
      '--environment',
      'research-prod',
      '--config-environment',
      'staging',
    ]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('3 changed, 0 unchanged');
    expect(first.stdout).toContain('set batch_job_queue = "backtest-staging-queue"');
    const again = await cli([
      'mwaa',
      'variables',
      'sync',
      '--environment',
      'research-prod',
      '--config-environment',
      'staging',
    ]);
    expect(again.stdout).toContain('0 changed, 3 unchanged');
    const prod = await cli([
      'mwaa',
      'variables',
      'sync',
      '--environment',
      'research-prod',
      '--config-environment',
      'production',
      '--dry-run',
    ]);
    expect(prod.stdout).toContain(
      'would update batch_job_queue: "backtest-staging-queue" -> "backtest-production-queue"',
    );
  });

  it('names an unknown environment and its region', async () => {
    const res = await cli(['mwaa', 'status', '--environment', 'no-such-env']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("error: MWAA environment 'no-such-env' not found in region us-east-1");
  });

  it('times out naming the DAG when MWAA never picks the file up, and deletes nothing', async () => {
    const config = join(repo, 'backtests', 'late_arrival.yaml');
    writeFileSync(
      config,
      readFileSync(join(repo, 'backtests', 'single_backtest.yaml'), 'utf8').replace(/^dag_id: .*$/m, ''),
    );
    fake.setSyncPaused(true);
    try {
      const res = await cli(['apply', '--target', 'mwaa://research-prod', '--yes', '--wait-seconds', '2']);
      expect(res.stdout).toContain('1 created');
      expect(res.stdout).toMatch(
        /Import check \(timeout[^)]*\): timed out after \d+ s waiting for Airflow to list: late_arrival; nothing was deleted/,
      );
      expect(res.stdout).toMatch(
        /MISSING +late_arrival \(backtests\/late_arrival\.yaml\) — not listed by Airflow/,
      );
      expect(res.code).toBe(1);
      const objects = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'dags/' }));
      expect(objects.Contents?.map((o) => o.Key)).toContain('dags/late_arrival.py');
    } finally {
      fake.setSyncPaused(false);
    }
  });

  it('shows an owned DAG file broken behind our back as an import error mapped to its config', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'dags/grid_search.py',
        Body: 'from airflow import DAG\nraise RuntimeError("edited by hand in S3")\n',
      }),
    );
    const res = await cli(['mwaa', 'status', '--environment', 'research-prod']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/import-error +grid_search .*backtests\/grid_search\.yaml/);
    expect(res.stdout).toContain('RuntimeError: edited by hand in S3');
  });

  it('still prints what apply wrote when the import check is refused, and names the IAM action', async () => {
    writeFileSync(
      join(repo, 'backtests', 'denied_check.yaml'),
      readFileSync(join(repo, 'backtests', 'single_backtest.yaml'), 'utf8'),
    );
    fake.deny('airflow:CreateCliToken');
    try {
      const res = await cli(['apply', '--target', 'mwaa://research-prod', '--yes']);
      expect(res.stdout).toContain('1 created');
      expect(res.stderr).toContain(
        "error: access denied calling airflow:CreateCliToken on MWAA environment 'research-prod' in region us-east-1",
      );
      expect(res.stderr).toContain('hint: grant the controller');
      expect(res.code).toBe(2);
    } finally {
      fake.allow('airflow:CreateCliToken');
    }
  });
});
