import { spawn } from 'node:child_process';
import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CopyObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shortCliArgs } from '../support/cli.js';
import type { FaultProxy } from '../support/fault-proxy.js';
import { MOTO_ENV, type MotoServer, motoS3Client, startMoto } from '../support/moto.js';
import { projectRoot } from '../support/python.js';
import { runBacktestctl } from '../support/run-cli.js';
import { bucketHashes, type DeployRepo, makeDeployRepo, renderedHashes, sha256 } from './deploy-repo.js';
import { createBucket, manifestAt } from './helpers.js';
import { type KillSwitch, startKillSwitch } from './kill-switch.js';

/**
 * The deploy-truth promises, proven on the real parts: the real `backtestctl apply` process
 * (SIGKILLed at every request), a real git repository with real commits (an update, a delete,
 * a create, a revert, a newer commit), moto S3, and bucket contents compared by sha256 with
 * what `backtestctl render` writes for the final commit.
 */
const BUCKET = 'truth-dags';
let moto: MotoServer;
let proxy: FaultProxy;
let direct: S3Client;
let repo: DeployRepo;
let rendered: Record<keyof DeployRepo['trees'], Map<string, string>>;

let kill: KillSwitch;

beforeAll(async () => {
  moto = await startMoto();
  kill = await startKillSwitch(moto.endpoint);
  proxy = kill.proxy;
  direct = motoS3Client(moto.endpoint);
  await createBucket(direct, BUCKET);
  repo = await makeDeployRepo();
  rendered = {
    base: await renderedHashes(repo.trees.base),
    change: await renderedHashes(repo.trees.change),
    revert: await renderedHashes(repo.trees.revert),
    newer: await renderedHashes(repo.trees.newer),
  };
});
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
  await repo?.cleanup();
});

const target = (prefix: string) => `s3://${BUCKET}/${prefix}`;

/** `backtestctl apply` in this process (the same code the binary runs), straight to moto or through the proxy. */
function apply(tree: string, prefix: string, opts: { viaProxy?: boolean; extra?: string[] } = {}) {
  return runBacktestctl(
    [
      'apply',
      '--repo',
      tree,
      '--target',
      target(prefix),
      '--yes',
      '--no-verify',
      '--s3-endpoint',
      opts.viaProxy ? proxy.endpoint : moto.endpoint,
      ...(opts.extra ?? []),
    ],
    { env: { ...process.env, ...MOTO_ENV, AWS_MAX_ATTEMPTS: '1' } },
  );
}

/** The real binary's entry point in its own process, through the proxy, so it can be SIGKILLed at a request. */
function applyProcess(tree: string, prefix: string): Promise<{ code: number | null; signal: string | null }> {
  const child = spawn(
    process.execPath,
    shortCliArgs('apply', '--repo', tree, '--target', target(prefix), '--yes', '--no-verify'),
    {
      cwd: projectRoot,
      env: { ...process.env, ...MOTO_ENV, AWS_ENDPOINT_URL_S3: proxy.endpoint, AWS_MAX_ATTEMPTS: '1' },
      stdio: 'ignore',
    },
  );
  kill.attach(child);
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

/** Every object under `prefix/` (bookkeeping included), relative key → ETag, from one LIST. */
async function etags(prefix: string): Promise<Map<string, string>> {
  const page = await direct.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/` }));
  return new Map((page.Contents ?? []).map((o) => [o.Key?.slice(prefix.length + 1) ?? '', o.ETag ?? '']));
}

/** Copies every object under `from/` to `to/` in S3 (CopyObject: the same bytes); returns the copied listing. */
async function copyPrefix(from: string, to: string): Promise<Map<string, string>> {
  const objects = await etags(from);
  for (const key of objects.keys()) {
    await direct.send(
      new CopyObjectCommand({ Bucket: BUCKET, Key: `${to}/${key}`, CopySource: `${BUCKET}/${from}/${key}` }),
    );
  }
  return objects;
}

/**
 * A deployment of `base` at `prefix`: a copy of the one `base` deployment applied and
 * checked (expectLive, by sha256) once, instead of one apply and check per case. The copy's
 * listing has the original's keys and ETags: the same bytes.
 */
async function deployedBase(prefix: string): Promise<void> {
  const copied = await copyPrefix('base', prefix);
  expect(await etags(prefix), `${prefix}: a copy of the base deployment`).toEqual(copied);
}

async function manifestOf(prefix: string) {
  const m = await manifestAt(direct, BUCKET, prefix);
  if (!m) throw new Error(`no manifest under ${prefix}`);
  return m;
}

/** The bucket holds exactly what `want` renders, byte for byte, and the manifest says so. */
async function expectLive(prefix: string, want: keyof DeployRepo['trees'], label: string) {
  expect(await bucketHashes(direct, BUCKET, prefix), label).toEqual(rendered[want]);
  const m = await manifestOf(prefix);
  expect(m.pending ?? [], label).toEqual([]);
  expect(new Map(m.entries.map((e) => [e.key, e.sha256])), label).toEqual(rendered[want]);
  // The deployed commit is the last one that changed something (a revert to identical bytes writes nothing).
  const allowed = want === 'revert' ? [repo.commits.revert, repo.commits.base] : [repo.commits[want]];
  expect(allowed, label).toContain(m.commit);
}

describe('backtestctl apply SIGKILLed at every request converges on the next apply', () => {
  it('re-applying the same commit, applying a revert, or applying a newer commit', async () => {
    expect((await apply(repo.trees.base, 'base')).code).toBe(0);
    await expectLive('base', 'base', 'base');
    // How many requests the apply of `change` over `base` makes: the kill points.
    await deployedBase('count');
    const before = proxy.log.length;
    expect((await apply(repo.trees.change, 'count', { viaProxy: true })).code).toBe(0);
    const requests = proxy.log.slice(before).filter((r) => r.key.startsWith('count/'));
    const kinds = new Set(requests.map((r) => `${r.method} ${r.kind}`));
    // The no-op check (HEAD of the manifest root; its digest differs), the root and its shard,
    // then creates, updates and deletes: announce, object PUTs, the delete's read-back and
    // DELETE, the changed shard, record (the root, with the digest), the replaced shard's DELETE.
    expect([...kinds].sort()).toEqual([
      'DELETE object',
      'DELETE shard',
      'GET manifest',
      'GET shard',
      'HEAD manifest',
      'HEAD object',
      'PUT manifest',
      'PUT object',
      'PUT shard',
    ]);
    const points = requests.length;
    expect(points).toBeGreaterThanOrEqual(8);

    const figures: string[] = [];
    let converged = 0;
    for (let k = 1; k <= points; k++) {
      for (const after of [false, true]) {
        const prefix = `kill-${k}-${after ? 'after' : 'before'}`;
        await deployedBase(prefix);
        const plan = kill.arm({ prefix, k, after });
        const exit = await applyProcess(repo.trees.change, prefix);
        const hit = plan.hit;
        kill.disarm();
        expect(exit.signal, `${prefix}: the process was killed`).toBe('SIGKILL');
        // The same crashed state, three ways on: two copies, then the crashed prefix itself.
        for (const next of ['change', 'revert', 'newer'] as const) {
          const label = `${prefix}-${next}`;
          const scenario = next === 'newer' ? prefix : label;
          if (scenario !== prefix) await copyPrefix(prefix, scenario);
          const r = await apply(repo.trees[next], scenario);
          expect(r.code, `${label}: ${r.stderr}`).toBe(0);
          await expectLive(scenario, next, label);
          converged++;
        }
        figures.push(`${k}${after ? ' (after S3 executed it)' : ''}: ${hit}`);
      }
    }
    expect(converged).toBe(points * 2 * 3);
    process.stdout.write(
      `crash points × scenarios converged (contents equal by sha256): ${points * 2} × 3 = ${converged}\n  ${figures.join('\n  ')}\n`,
    );
  });

  it('converges when the manifest PUT fails for good, after or before the announcement', async () => {
    for (const failFrom of [2, 1]) {
      const prefix = `manifest-fails-${failFrom}`;
      expect((await apply(repo.trees.base, prefix)).code).toBe(0);
      let manifestPuts = 0;
      proxy.setFaults({
        errorRate: 1,
        filter: (r) =>
          r.key.startsWith(`${prefix}/`) &&
          r.kind === 'manifest' &&
          r.method === 'PUT' &&
          ++manifestPuts >= failFrom,
      });
      const mark = proxy.log.length;
      const failed = await apply(repo.trees.change, prefix, { viaProxy: true });
      proxy.setFaults({});
      expect(failed.code, failed.stderr).toBe(2);
      const injected = proxy.log.slice(mark).filter((r) => r.fault === '5xx');
      expect(injected.length, 'the fault happened').toBeGreaterThan(0);
      expect(injected.every((r) => r.kind === 'manifest' && r.method === 'PUT')).toBe(true);
      // Announced (failFrom 2): the objects changed; not announced (1): nothing did.
      if (failFrom === 1) expect(await bucketHashes(direct, BUCKET, prefix)).toEqual(rendered.base);
      else expect(await bucketHashes(direct, BUCKET, prefix)).not.toEqual(rendered.base);
      const r = await apply(repo.trees.revert, prefix);
      expect(r.code, r.stderr).toBe(0);
      await expectLive(prefix, 'revert', prefix);
    }
  });
});

describe('conditional deletes and overwrites', () => {
  it('leaves an owned object someone hand-fixed in the bucket, names it, and exits 1', async () => {
    const prefix = 'hand-fixed';
    expect((await apply(repo.trees.base, prefix)).code).toBe(0);
    for (const key of ['alpha.py', 'gamma.py']) {
      await direct.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${key}`, Body: `# hand fix of ${key}\n` }),
      );
    }
    const r = await apply(repo.trees.change, prefix);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/conflict alpha\.py: .*alpha\.py was changed behind our back .*not overwritten/);
    expect(r.stdout).toMatch(/conflict gamma\.py: .*gamma\.py was changed behind our back .*not deleted/);
    const live = await bucketHashes(direct, BUCKET, prefix);
    expect(live.get('alpha.py')).toBe(sha256('# hand fix of alpha.py\n'));
    expect(live.get('gamma.py')).toBe(sha256('# hand fix of gamma.py\n'));
    // Everything else is what the commit renders.
    for (const [key, hash] of rendered.change) if (key !== 'alpha.py') expect(live.get(key), key).toBe(hash);
  });
});

describe('owned and ordered deploys', () => {
  it('refuses a manifest owned by another source, naming both', async () => {
    const prefix = 'owned';
    expect((await apply(repo.trees.base, prefix)).code).toBe(0);
    expect((await manifestOf(prefix)).owner).toEqual({
      repo: 'github.com/example-org/backtests',
      path: '.',
      environment: null,
      target: target(prefix),
    });
    // The same configs from a folder that is not that repository.
    const stranger = join(repo.root, 'stranger');
    await cp(join(repo.trees.change, 'backtests'), join(stranger, 'backtests'), { recursive: true });
    const r = await apply(stranger, prefix);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`it is owned by github.com/example-org/backtests, not by file://${stranger}`);
    expect(r.stderr).toMatch(/hint: give each config repo, folder and environment its own prefix/);
    await expectLive(prefix, 'base', prefix);
    await rm(stranger, { recursive: true, force: true });
  });

  it('refuses a manifest whose entries name the manifest itself or leave the prefix, deleting nothing', async () => {
    const prefix = 'forged';
    expect((await apply(repo.trees.base, prefix)).code).toBe(0);
    const m = await manifestOf(prefix);
    const forged = { ...m, entries: [...m.entries, { ...m.entries[0], key: '../owned/alpha.py' }] };
    await direct.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${prefix}/.backtest-gitops/manifest.json`,
        Body: JSON.stringify(forged),
      }),
    );
    const r = await apply(repo.trees.change, prefix);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/manifest .* is not a backtest-gitops manifest .*not a key we may own/);
    expect(await bucketHashes(direct, BUCKET, prefix)).toEqual(rendered.base);
    expect(await bucketHashes(direct, BUCKET, 'owned')).toEqual(rendered.base);
  });

  it('refuses to roll back a newer deploy, naming both commits; --force-commit rolls back on purpose', async () => {
    const prefix = 'ordered';
    const { base, change, revert, newer } = repo.commits;
    expect((await apply(repo.trees.newer, prefix)).code).toBe(0);
    const stale = await apply(repo.trees.change, prefix);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(
      `refusing to deploy ${change} to ${target(prefix)}: the newer ${newer} is already deployed`,
    );
    const unrelated = await apply(repo.trees.revert, prefix);
    expect(unrelated.code).toBe(1);
    expect(unrelated.stderr).toContain(
      `refusing to deploy ${revert} to ${target(prefix)}: it has ${newer} deployed`,
    );
    const plan = await runBacktestctl(
      ['plan', '--repo', repo.trees.change, '--target', target(prefix), '--s3-endpoint', moto.endpoint],
      {
        env: { ...process.env, ...MOTO_ENV },
      },
    );
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain('apply would be refused');
    await expectLive(prefix, 'newer', prefix);
    const rollback = await apply(repo.trees.base, prefix, {
      extra: ['--force-commit', '--allow-mass-delete'],
    });
    expect(rollback.code, rollback.stderr).toBe(0);
    await expectLive(prefix, 'base', prefix);
    expect((await manifestOf(prefix)).commit).toBe(base);
    // Forward again from the rolled-back commit: newer descends from base.
    expect((await apply(repo.trees.newer, prefix)).code).toBe(0);
    await expectLive(prefix, 'newer', prefix);
  });
});
