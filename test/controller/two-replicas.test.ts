import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketHashes, renderedHashes } from '../s3/deploy-repo.js';
import {
  createGitRemote,
  type GitHubServer,
  type GitRemoteFixture,
  PullRequestFlow,
  startGitHubServer,
} from '../support/github-server/index.js';
import { MOTO_ENV, type MotoServer, motoS3Client, startMoto } from '../support/moto.js';
import { type ServeProcess, startServe } from '../support/serve-process.js';
import { backtestConfig } from './fixtures.js';

/**
 * Two `backtestctl serve` processes (the production wiring) on one bucket and one GitHub:
 * only the holder of the lease acts, the other waits; when the holder is killed, the other
 * takes over. The bucket always ends equal to the head commit's render, byte for byte, and
 * every PR has exactly one bot comment.
 */
const BUCKET = 'replicas';
const LEASE_SECONDS = 15;
let moto: MotoServer;
let s3: S3Client;
let github: GitHubServer;
let remote: GitRemoteFixture;
let flow: PullRequestFlow;
let dir: string;
const replicas: ServeProcess[] = [];

async function startReplica(name: string): Promise<ServeProcess> {
  const config = join(dir, `${name}.yaml`);
  writeFileSync(
    config,
    [
      `repo: { url: ${JSON.stringify(remote.bareDir)} }`,
      `target: s3://${BUCKET}/dags`,
      `github: { repository: ${github.owner}/${github.repo}, base_url: ${JSON.stringify(github.baseUrl)}, space_writes: false }`,
      'schedule: "* * * * * *"',
      `leader_lease_seconds: ${LEASE_SECONDS}`,
      `cache_dir: ./cache-${name}`,
      'http: { port: 0, host: 127.0.0.1 }',
      'log: { level: debug }',
    ].join('\n'),
  );
  return startServe(config, {
    ...MOTO_ENV,
    GITHUB_TOKEN: github.token,
    BACKTEST_GITOPS_S3_ENDPOINT: moto.endpoint,
  });
}

/** What `backtestctl render` writes for the default branch's head now. */
async function headRender(): Promise<{ sha: string; files: Map<string, string> }> {
  const clone = join(dir, `clone-${Date.now()}`);
  execFileSync('git', ['clone', '-q', remote.bareDir, clone]);
  const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: clone }).toString().trim();
  const files = await renderedHashes(clone);
  rmSync(clone, { recursive: true, force: true });
  return { sha, files };
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const deploysOf = (r: ServeProcess, sha: string) =>
  r.lines().filter((l) => l.msg === 'deployed' && l.commit === sha);
const stickies = (pr: number) =>
  github.state.commentsOn(pr).filter((c) => c.body.includes('backtest-gitops:sticky'));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'btg-replicas-'));
  moto = await startMoto();
  s3 = motoS3Client(moto.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  github = await startGitHubServer();
  remote = createGitRemote();
  flow = new PullRequestFlow(github, remote);
  remote.commit({ 'backtests/a.yaml': backtestConfig(1), 'backtests/b.yaml': backtestConfig(2) });
  remote.push('main');
  replicas.push(await startReplica('one'), await startReplica('two'));
}, 300_000);

afterAll(async () => {
  for (const r of replicas) await r.stop('SIGKILL').catch(() => undefined);
  await github?.stop();
  await moto?.stop();
  remote?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('two serve replicas on one bucket', () => {
  let leader: ServeProcess;
  let standby: ServeProcess;

  it('only the lease holder acts: one deploy per commit, one comment per PR, the bucket equals the head render', async () => {
    const first = await headRender();
    await until('the first deploy', () => replicas.some((r) => deploysOf(r, first.sha).length > 0));
    const [one, two] = replicas as [ServeProcess, ServeProcess];
    leader = deploysOf(one, first.sha).length > 0 ? one : two;
    standby = leader === one ? two : one;
    await until('the standby to wait', () =>
      standby.lines().some((l) => l.msg === 'standby: another replica holds the lease'),
    );
    const prs = [1, 2, 3].map((i) =>
      flow.openPr(`pr-${i}`, { [`backtests/p${i}.yaml`]: backtestConfig(10 + i) }),
    );
    const [mergedPr] = prs as [(typeof prs)[number]];
    const merged = flow.mergePr(mergedPr.number);
    const head = await headRender();
    expect(head.sha).toBe(merged);
    await until('the merge deployed and reported', () =>
      github.state.commentsOn(mergedPr.number).some((c) => c.body.includes(`deploy=${merged}`)),
    );
    expect(await bucketHashes(s3, BUCKET, 'dags')).toEqual(head.files);
    for (const pr of prs.slice(1))
      await until(`the check of #${pr.number}`, () => stickies(pr.number).length > 0);
    // A few more polls of both replicas change nothing.
    await new Promise((r) => setTimeout(r, 3000));
    // The open PRs have exactly one check comment; the one merged at once at most one.
    for (const pr of prs.slice(1)) expect(stickies(pr.number).length, `#${pr.number}`).toBe(1);
    expect(stickies(mergedPr.number).length).toBeLessThanOrEqual(1);
    expect(
      github.state.commentsOn(mergedPr.number).filter((c) => c.body.includes(`deploy=${merged}`)),
    ).toHaveLength(1);
    // One replica deployed the merge, once (a slow machine may move the lease between polls,
    // never to two holders at once).
    expect(deploysOf(leader, merged).length + deploysOf(standby, merged).length).toBe(1);
    if (deploysOf(standby, merged).length > 0) [leader, standby] = [standby, leader];
  });

  it('when the holder is killed, the other replica takes over within the lease and deploys the next merge', async () => {
    await leader.stop('SIGKILL');
    const pr = flow.openPr('after-failover', { 'backtests/c.yaml': backtestConfig(99) });
    const merged = flow.mergePr(pr.number);
    const head = await headRender();
    await until(
      'the survivor to deploy the merge',
      () => deploysOf(standby, merged).length > 0,
      (LEASE_SECONDS + 30) * 1000,
    );
    await until('the deploy comment', () =>
      github.state.commentsOn(pr.number).some((c) => c.body.includes(`deploy=${merged}`)),
    );
    expect(await bucketHashes(s3, BUCKET, 'dags')).toEqual(head.files);
    expect(
      github.state.commentsOn(pr.number).filter((c) => c.body.includes(`deploy=${merged}`)),
    ).toHaveLength(1);
  });
});
