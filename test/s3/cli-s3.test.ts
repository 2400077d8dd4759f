import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shortCliArgs } from '../support/cli.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { MOTO_ENV, type MotoServer, motoS3Client, startMoto } from '../support/moto.js';
import { projectRoot } from '../support/python.js';
import { createBucket, listBucket, readObject } from './helpers.js';

/** `backtestctl plan/apply --target s3://...` as a user runs it: a child process, endpoint from AWS_ENDPOINT_URL_S3. */
const BUCKET = 'cli-dags';
let moto: MotoServer;
let proxy: FaultProxy;
let direct: S3Client;
let repo: string;

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      shortCliArgs(...args),
      {
        cwd: projectRoot,
        env: { ...process.env, ...MOTO_ENV, AWS_ENDPOINT_URL_S3: proxy.endpoint, AWS_PROFILE: '', ...env },
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy({ upstream: moto.endpoint });
  direct = motoS3Client(moto.endpoint);
  await createBucket(direct, BUCKET);
  repo = await mkdtemp(join(tmpdir(), 'btg-cli-repo-'));
  await cp(join(projectRoot, 'examples'), repo, { recursive: true });
});
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
  if (repo) await rm(repo, { recursive: true, force: true });
});

describe('backtestctl plan/apply with an S3 target', () => {
  const target = `s3://${BUCKET}/dags`;

  it('applies the examples, then plans no change with one manifest HEAD (the render digest matches)', async () => {
    const first = await cli(['apply', '--repo', repo, '--target', target, '--yes']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('+ create grid_search (9 runs)');
    const objects = await listBucket(direct, BUCKET, 'dags/');
    expect([...objects.keys()]).toContain('dags/grid_search.py');
    expect([...objects.keys()]).toContain('dags/.backtest-gitops/manifest.json');

    const mark = proxy.log.length;
    // --s3-endpoint wins over AWS_ENDPOINT_URL_S3 (here pointing at a closed port).
    const plan = await cli(
      ['plan', '--repo', repo, '--target', target, '--format', 'json', '--s3-endpoint', proxy.endpoint],
      {
        AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9',
      },
    );
    expect(plan.code, plan.stderr).toBe(0);
    const json = JSON.parse(plan.stdout);
    expect(json).toMatchObject({ create: [], update: [], delete: [], no_op: true });
    expect(proxy.counts(mark)).toEqual({ 'HEAD manifest': 1 });
    // Asked to look at every file, it reads the manifest and counts the unchanged DAGs.
    const drift = await cli([
      'plan',
      '--repo',
      repo,
      '--target',
      target,
      '--format',
      'json',
      '--check-drift',
    ]);
    expect(drift.code, drift.stderr).toBe(0);
    expect(JSON.parse(drift.stdout).unchanged).toContain('grid_search');
  });

  it('shows an update with its diff, and keeps the DAG of a config that became invalid', async () => {
    const grid = join(repo, 'backtests/grid_search.yaml');
    await writeFile(
      grid,
      (await readFile(grid, 'utf8')).replace('initial_capital: 1000000.0', 'initial_capital: 2000000.0'),
    );
    const single = join(repo, 'backtests/single_backtest.yaml');
    await writeFile(single, `${await readFile(single, 'utf8')}\nstop_los_pct: 3\n`);
    const before = await readObject(direct, BUCKET, 'dags/single_backtest.py');

    const plan = await cli(['plan', '--repo', repo, '--target', target]);
    expect(plan.code).toBe(1); // an invalid config
    expect(plan.stdout).toContain('~ update grid_search (9 runs)');
    expect(plan.stdout).toMatch(/^ {4}\+.*2000000/m);
    expect(plan.stdout).toContain('= keep single_backtest');
    expect(plan.stderr).toContain('backtests/single_backtest.yaml:');

    const mark = proxy.log.length;
    const apply = await cli(['apply', '--repo', repo, '--target', target, '--yes']);
    expect(apply.code).toBe(1);
    // The no-op check (HEAD: the digest differs), the manifest root and its one shard, then
    // the change is announced in the root, made, then recorded (the changed shard, the root,
    // the replaced shard's delete).
    expect(proxy.counts(mark)).toEqual({
      'HEAD manifest': 1,
      'GET manifest': 1,
      'GET shard': 1,
      'PUT object': 1,
      'PUT manifest': 2,
      'PUT shard': 1,
      'DELETE shard': 1,
    });
    expect(await readObject(direct, BUCKET, 'dags/single_backtest.py')).toBe(before);
  });

  it('reports an unowned object in the way by name and exits 1 without touching it', async () => {
    await cp(
      join(projectRoot, 'examples/backtests/single_backtest.yaml'),
      join(repo, 'backtests/single_backtest.yaml'),
    );
    await writeFile(
      join(repo, 'backtests/extra.yaml'),
      await readFile(join(repo, 'backtests/single_backtest.yaml'), 'utf8'),
    );
    const extra = join(repo, 'backtests/extra.yaml');
    await writeFile(extra, `dag_id: hand_made\n${await readFile(extra, 'utf8')}`);
    await direct.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'dags/hand_made.py', Body: '# made by hand\n' }),
    );
    const apply = await cli(['apply', '--repo', repo, '--target', target, '--yes']);
    expect(apply.code).toBe(1);
    expect(apply.stdout).toContain('! conflict hand_made.py');
    expect(await readObject(direct, BUCKET, 'dags/hand_made.py')).toBe('# made by hand\n');
    const adopt = await cli(['apply', '--repo', repo, '--target', target, '--yes', '--adopt']);
    expect(adopt.code, adopt.stdout + adopt.stderr).toBe(0);
    expect(await readObject(direct, BUCKET, 'dags/hand_made.py')).toContain('hand_made');
  });

  it('refuses a mass delete without --allow-mass-delete (exit 1) and does it with the flag', async () => {
    await rm(join(repo, 'backtests'), { recursive: true });
    const refused = await cli(['apply', '--repo', repo, '--target', target, '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refusing to delete');
    expect([...(await listBucket(direct, BUCKET, 'dags/')).keys()]).toContain('dags/grid_search.py');
    const allowed = await cli(['apply', '--repo', repo, '--target', target, '--yes', '--allow-mass-delete']);
    expect(allowed.code, allowed.stderr).toBe(0);
    const left = [...(await listBucket(direct, BUCKET, 'dags/')).keys()];
    expect(left.filter((k) => k.endsWith('.py') && !k.includes('backtest_gitops_support'))).toEqual([]);
  });
});
