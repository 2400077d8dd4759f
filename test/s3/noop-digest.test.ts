import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3DagStore } from '../../src/targets/s3-dag-store.js';
import { shortCliArgs } from '../support/cli.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { MOTO_ENV, type MotoServer, motoS3Client, startMoto } from '../support/moto.js';
import { projectRoot } from '../support/python.js';
import { createBucket, listBucket } from './helpers.js';

/**
 * The no-op check as a user meets it: `backtestctl apply` twice on the same repo costs one
 * HEAD of the manifest the second time (0 body bytes, nothing validated or rendered); any
 * change of what the render depends on, an interrupted apply or --check-drift takes the full path.
 */
const BUCKET = 'noop-dags';
const target = `s3://${BUCKET}/dags`;
let moto: MotoServer;
let proxy: FaultProxy;
let direct: S3Client;
let repo: string;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      shortCliArgs(...args),
      {
        cwd: projectRoot,
        env: { ...process.env, ...MOTO_ENV, AWS_ENDPOINT_URL_S3: proxy.endpoint, AWS_PROFILE: '' },
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** `apply --yes` plus what it cost on the wire. */
async function apply(...extra: string[]) {
  const mark = proxy.log.length;
  const run = await cli(['apply', '--repo', repo, '--target', target, '--yes', ...extra]);
  const log = proxy.log.slice(mark);
  return { ...run, counts: proxy.counts(mark), down: log.reduce((n, r) => n + r.responseBytes, 0) };
}

async function edit(path: string, from: string, to: string): Promise<void> {
  const file = join(repo, path);
  const text = await readFile(file, 'utf8');
  expect(text).toContain(from);
  await writeFile(file, text.replace(from, to));
}

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy({ upstream: moto.endpoint });
  direct = motoS3Client(moto.endpoint);
  await createBucket(direct, BUCKET);
  repo = await mkdtemp(join(tmpdir(), 'btg-noop-repo-'));
  await cp(join(projectRoot, 'examples'), repo, { recursive: true });
});
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
  if (repo) await rm(repo, { recursive: true, force: true });
});

describe('no-op in one header', () => {
  it('a second apply of the same configs is one HEAD with no body; plan too', async () => {
    const first = await apply();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('+ create grid_search');

    const again = await apply();
    expect(again.code, again.stderr).toBe(0);
    expect(again.counts).toEqual({ 'HEAD manifest': 1 });
    expect(again.down).toBe(0);
    expect(again.stdout).toContain('no changes');

    const mark = proxy.log.length;
    const plan = await cli(['plan', '--repo', repo, '--target', target, '--format', 'json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({ create: [], update: [], delete: [], no_op: true });
    expect(proxy.counts(mark)).toEqual({ 'HEAD manifest': 1 });
  });

  it('a changed config falls back to the full path and deploys it; then one HEAD again', async () => {
    await edit('backtests/grid_search.yaml', 'initial_capital: 1000000.0', 'initial_capital: 3000000.0');
    const changed = await apply();
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toContain('~ update grid_search');
    // The root and its one shard are read; the changed shard replaces the old one.
    expect(changed.counts).toEqual({
      'HEAD manifest': 1,
      'GET manifest': 1,
      'GET shard': 1,
      'PUT object': 1,
      'PUT manifest': 2,
      'PUT shard': 1,
      'DELETE shard': 1,
    });
    expect((await apply()).counts).toEqual({ 'HEAD manifest': 1 });
  });

  it('an edited settings file falls back; a render that comes out alike records the new digest once', async () => {
    await edit('backtest-gitops.yaml', 'max_runs_per_dag: 10000', 'max_runs_per_dag: 10000 # raised later');
    const settings = await apply();
    expect(settings.code, settings.stderr).toBe(0);
    expect(settings.stdout).not.toContain('no changes: the target was deployed');
    // Nothing to write, so only the digest is recorded: one conditional PUT of the root. No
    // shard is read or written: each one's recorded key hash equals the render's.
    expect(settings.counts).toEqual({
      'HEAD manifest': 1,
      'GET manifest': 1,
      'PUT manifest': 1,
    });
    expect((await apply()).counts).toEqual({ 'HEAD manifest': 1 });

    await edit('backtest-gitops.yaml', 'retries: 2', 'retries: 4');
    const retries = await apply();
    expect(retries.code, retries.stderr).toBe(0);
    expect(retries.stdout).toContain('~ update grid_search');
    expect((await apply()).counts).toEqual({ 'HEAD manifest': 1 });
  });

  it('another environment is not skipped: the full path runs and its owner check refuses the target', async () => {
    const other = await apply('--environment', 'staging');
    expect(other.counts['GET manifest']).toBe(1);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/environment staging/);
    expect((await apply()).counts).toEqual({ 'HEAD manifest': 1 });
  });

  it('a manifest with pending (announced, unfinished) changes is not skipped', async () => {
    const store = new S3DagStore({ client: direct, bucket: BUCKET, prefix: 'dags' });
    const current = await store.readManifest();
    expect(current?.digest).toMatch(/^[0-9a-f]{64}$/);
    if (!current) throw new Error('no manifest');
    const keys = current.manifest.entries.map((e) => e.key);
    const pendingKey = keys.find((k) => k.endsWith('grid_search.py')) as string;
    const entry = current.manifest.entries.find((e) => e.key === pendingKey);
    // As an apply killed after its announcement leaves it (the digest is never written with pending).
    const announced = { ...current.manifest, pending: [{ key: pendingKey, sha256: entry?.sha256 ?? null }] };
    await store.writeManifest(announced, current.version, current.digest);
    expect((await store.headManifest())?.digest).toBeNull();

    const resumed = await apply();
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.counts['GET manifest']).toBe(1);
    const after = await store.readManifest();
    expect(after?.manifest.pending ?? []).toEqual([]);
    expect(after?.digest).toBe(current.digest);
    expect((await apply()).counts).toEqual({ 'HEAD manifest': 1 });
  });

  it('a hand-deleted DAG is not seen by the one HEAD, and is repaired by --check-drift', async () => {
    await direct.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'dags/grid_search.py' }));
    expect((await apply()).counts).toEqual({ 'HEAD manifest': 1 });

    const repaired = await apply('--check-drift');
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.counts['HEAD manifest'] ?? 0).toBe(0);
    expect(repaired.counts['PUT object']).toBe(1);
    expect([...(await listBucket(direct, BUCKET, 'dags/')).keys()]).toContain('dags/grid_search.py');
    expect((await apply()).counts).toEqual({ 'HEAD manifest': 1 });
  });
});
