import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketHashes, renderedHashes } from '../s3/deploy-repo.js';
import { manifestAt } from '../s3/helpers.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import {
  createGitRemote,
  type GitHubServer,
  type GitRemoteFixture,
  PullRequestFlow,
  startGitHubServer,
} from '../support/github-server/index.js';
import { MOTO_ENV, type MotoServer, motoS3Client, startMoto } from '../support/moto.js';
import { inProcessController } from './in-process-controller.js';

/**
 * Reliability under faults, with figures: reconciles against S3 through a proxy that fails
 * 10% of requests (5xx and dropped connections, seeded) while GitHub throws 5xx and
 * secondary rate limits; and two controllers on one bucket. After the faults stop, one
 * clean reconcile must leave the bucket equal to the config repo, the manifest complete,
 * unowned objects untouched and exactly one bot comment per PR.
 *
 * RELIABILITY_RECONCILES (default 24 in `npm test`, 200 from scripts/reliability.sh) sets the count;
 * 24 still injects tens of S3 faults and, in the race, manifest PUTs refused with 412 (both asserted).
 */
const RECONCILES = Number(process.env.RELIABILITY_RECONCILES ?? 24);
const BUCKET = 'reliability-dags';

function config(i: number, version: number): string {
  return `strategy_class: Momentum\nstart_date: 2022-01-01\nend_date: 2022-12-31\ninitial_capital: ${1_000_000 + version}\nparam_grid:\n  take_profit_pct: [5, ${10 + i}]\n`;
}

let moto: MotoServer;
let s3: S3Client;
let github: GitHubServer;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  moto = await startMoto();
  s3 = motoS3Client(moto.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  github = await startGitHubServer({ owner: 'acme', repo: 'configs', rateLimit: 1_000_000 });
}, 120_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await github?.stop();
  await moto?.stop();
});

async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const res = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of res.Contents ?? []) keys.push(o.Key ?? '');
    token = res.NextContinuationToken;
  } while (token);
  return keys.sort();
}

async function manifestKeys(prefix: string): Promise<string[]> {
  const manifest = await manifestAt(s3, BUCKET, prefix);
  return (manifest?.entries ?? []).map((e) => `${prefix}/${e.key}`).sort();
}

function controllerYaml(
  remote: GitRemoteFixture,
  prefix: string,
  cacheDir: string,
  withGitHub: boolean,
): string {
  return [
    `repo: { url: ${JSON.stringify(remote.bareDir)} }`,
    `target: s3://${BUCKET}/${prefix}`,
    'prune: { max_delete_share: 1 }',
    withGitHub
      ? `github: { repository: ${github.owner}/${github.repo}, base_url: ${JSON.stringify(github.baseUrl)} }`
      : '',
    `cache_dir: ${JSON.stringify(cacheDir)}`,
  ]
    .filter(Boolean)
    .join('\n');
}

describe('reconciles under injected S3 and GitHub faults', () => {
  it(`converges after ${RECONCILES} reconciles with 10% S3 faults and GitHub 5xx/rate limits, nothing lost`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'btg-rel-'));
    const remote = createGitRemote();
    cleanups.push(
      () => rmSync(dir, { recursive: true, force: true }),
      () => remote.cleanup(),
    );
    const proxy: FaultProxy = await startFaultProxy({ upstream: moto.endpoint, seed: 42 });
    cleanups.push(() => proxy.stop());
    const unowned = await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'faults/not_ours.py', Body: '# hands off\n' }),
    );
    const files: Record<string, string> = {};
    for (let i = 0; i < 10; i++) files[`backtests/bt_${i}.yaml`] = config(i, 0);
    remote.commit(files);
    remote.push('main');
    const flow = new PullRequestFlow(github, remote);
    const controller = await inProcessController({
      dir,
      yaml: controllerYaml(remote, 'faults', join(dir, 'cache'), true),
      env: { ...MOTO_ENV, GITHUB_TOKEN: github.token, BACKTEST_GITOPS_S3_ENDPOINT: proxy.endpoint },
      logLevel: process.env.RELIABILITY_LOG ?? 'silent',
    });

    proxy.setFaults({ errorRate: 0.05, dropRate: 0.05 });
    const results: Record<string, number> = {};
    const prs: number[] = [];
    for (let r = 0; r < RECONCILES; r++) {
      // The repo moves before each reconcile (a config changes, is added or removed); PRs open.
      {
        const i = r % 12;
        const path = `backtests/bt_${i}.yaml`;
        const exists = remote.git(['ls-tree', '--name-only', 'main', path]) !== '';
        remote.commit({ [path]: r % 9 === 0 && exists ? null : config(i, r) });
        remote.push('main');
      }
      if (r % 10 === 5) prs.push(flow.openPr(`pr-${r}`, { [`backtests/pr_${r}.yaml`]: config(r, r) }).number);
      if (r % 7 === 0) github.injectFault({ status: 502, times: 1 });
      if (r % 11 === 0) github.injectFault({ status: 403, secondary: true, retryAfter: 1, times: 1 });
      const result = await controller.reconcile();
      results[result] = (results[result] ?? 0) + 1;
    }
    const faults = proxy.log.filter((q) => q.fault).length;
    proxy.setFaults({ errorRate: 0, dropRate: 0 });
    expect(await controller.reconcile()).toBe('success');
    await controller.stop();

    // The bucket equals the repo's head: every config has its DAG, nothing else of ours remains.
    const head = remote.git(['ls-tree', '-r', '--name-only', 'main']).split('\n');
    const expected = head
      .filter((p) => p.startsWith('backtests/') && p.endsWith('.yaml'))
      .map((p) => `faults/${p.slice('backtests/'.length).replace(/\.yaml$/, '.py')}`);
    const keys = await listKeys('faults/');
    const ours = keys.filter((k) => k !== 'faults/not_ours.py' && !k.includes('.backtest-gitops/'));
    const dags = ours.filter((k) => !k.startsWith('faults/backtest_gitops_support/'));
    expect(dags).toEqual(expected.sort());
    // Every object of ours is in the manifest (nothing orphaned), and the manifest lists nothing missing.
    expect(await manifestKeys('faults')).toEqual(ours);
    const head2 = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'faults/not_ours.py' }));
    expect(head2.ETag).toBe(unowned.ETag);
    // Byte for byte: every object of ours equals what `backtestctl render` writes for the head.
    const clone = join(dir, 'head');
    remote.git(['clone', '-q', remote.bareDir, clone], dir);
    const live = await bucketHashes(s3, BUCKET, 'faults');
    live.delete('not_ours.py');
    expect(live).toEqual(await renderedHashes(clone));
    expect(faults).toBeGreaterThan(0); // the S3 faults were really injected
    // Exactly one sticky comment per PR despite retries and faults.
    for (const pr of prs) {
      const bot = github.state.tokenUser.login;
      const sticky = github.state
        .commentsOn(pr)
        .filter((c) => c.user.login === bot && c.body.includes('backtest-gitops:head='));
      expect(sticky.length).toBe(1);
    }
    process.stdout.write(
      `\nreliability: ${RECONCILES} reconciles, ${proxy.log.length} S3 requests, ${faults} injected S3 faults, ` +
        `results ${JSON.stringify(results)}; converged with ${dags.length} DAGs, ${prs.length} PRs with one comment each\n`,
    );
  }, 1_800_000);

  it(`two controllers on one bucket for ${RECONCILES} reconciles with 10% S3 faults lose no update`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'btg-rel2-'));
    const remote = createGitRemote();
    cleanups.push(
      () => rmSync(dir, { recursive: true, force: true }),
      () => remote.cleanup(),
    );
    const files: Record<string, string> = {};
    for (let i = 0; i < 8; i++) files[`backtests/bt_${i}.yaml`] = config(i, 0);
    remote.commit(files);
    remote.push('main');
    // A counting proxy, to see the conditional writes refuse the loser (412s), that also
    // injects 10% S3 faults (5xx answers and dropped connections) while the two race.
    const proxy: FaultProxy = await startFaultProxy({ upstream: moto.endpoint });
    cleanups.push(() => proxy.stop());
    const env = { ...MOTO_ENV, BACKTEST_GITOPS_S3_ENDPOINT: proxy.endpoint };
    const a = await inProcessController({
      dir,
      yaml: `${controllerYaml(remote, 'twin', join(dir, 'cache-a'), false)}\nleader_lease_seconds: 0`,
      env,
    });
    const b = await inProcessController({
      dir,
      yaml: `${controllerYaml(remote, 'twin', join(dir, 'cache-b'), false)}\nleader_lease_seconds: 0`,
      env,
    });
    const results: Record<string, number> = {};
    proxy.setFaults({ errorRate: 0.05, dropRate: 0.05 });
    for (let r = 0; r < RECONCILES; r++) {
      if (r % 2 === 0) {
        const i = r % 10;
        const path = `backtests/bt_${i}.yaml`;
        const exists = remote.git(['ls-tree', '--name-only', 'main', path]) !== '';
        remote.commit({ [path]: r % 8 === 0 && exists ? null : config(i, r) });
        remote.push('main');
      }
      // Both at once, racing on the manifest (no lease: only the conditional writes keep them safe).
      const [ra, rb] = await Promise.all([a.reconcile(), b.reconcile()]);
      results[ra] = (results[ra] ?? 0) + 1;
      results[rb] = (results[rb] ?? 0) + 1;
    }
    const faults = proxy.log.filter((q) => q.fault).length;
    expect(faults).toBeGreaterThan(0); // the faults were really injected
    proxy.setFaults({ errorRate: 0, dropRate: 0 });
    expect(await a.reconcile()).toBe('success');
    expect(await b.reconcile()).toBe('success');
    await Promise.all([a.stop(), b.stop()]);
    const head = remote.git(['ls-tree', '-r', '--name-only', 'main']).split('\n');
    const expected = head
      .filter((p) => p.startsWith('backtests/') && p.endsWith('.yaml'))
      .map((p) => `twin/${p.slice('backtests/'.length).replace(/\.yaml$/, '.py')}`)
      .sort();
    const keys = (await listKeys('twin/')).filter((k) => !k.includes('.backtest-gitops/'));
    expect(keys.filter((k) => !k.startsWith('twin/backtest_gitops_support/'))).toEqual(expected);
    expect(await manifestKeys('twin')).toEqual(keys);
    // Byte for byte: every object equals what `backtestctl render` writes for the head commit.
    const clone = join(dir, 'head');
    remote.git(['clone', '-q', remote.bareDir, clone], dir);
    expect(await bucketHashes(s3, BUCKET, 'twin')).toEqual(await renderedHashes(clone));
    // The race really happened: manifest writes refused by their condition (412), then re-planned.
    const refused = proxy.log.filter(
      (q) => q.kind === 'manifest' && q.method === 'PUT' && q.status === 412,
    ).length;
    expect(refused).toBeGreaterThan(0);
    process.stdout.write(
      `\nreliability: 2 controllers x ${RECONCILES} reconciles on one bucket with ${faults} injected S3 faults, results ${JSON.stringify(results)}; ${refused} manifest PUTs refused (412) and re-planned; bucket equal to the head's render by sha256\n`,
    );
  }, 1_800_000);
});
