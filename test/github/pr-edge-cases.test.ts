import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PullRequestMemory, validatePullRequests } from '../../src/controller/pull-requests.js';
import { GitRepoCache } from '../../src/git/index.js';
import { connectGitHub, type OctokitGitHub } from '../../src/github/index.js';
import { deployedFromCommit } from '../../src/report/index.js';
import { childEnv } from '../support/child-env.js';
import {
  createGitRemote,
  type GitHubServer,
  type GitRemoteFixture,
  PullRequestFlow,
  startGitHubServer,
} from '../support/github-server/index.js';

const config = `strategy_class: LongShortEquityStrategy\nstart_date: 2022-01-01\nend_date: 2022-12-31\n`;

let server: GitHubServer;
let remote: GitRemoteFixture;
let flow: PullRequestFlow;
let cacheRoot: string;
let poll: () => ReturnType<typeof validatePullRequests>;
let github: OctokitGitHub;

beforeAll(async () => {
  server = await startGitHubServer();
  remote = createGitRemote();
  remote.commit({ 'backtests/base.yaml': config });
  remote.push('main');
  flow = new PullRequestFlow(server, remote);
  cacheRoot = mkdtempSync(join(tmpdir(), 'btg-edge-'));
  ({ github } = connectGitHub({
    repository: `${server.owner}/${server.repo}`,
    baseUrl: server.baseUrl,
    auth: { kind: 'token', token: server.token },
    spaceWrites: false,
    retryBaseMs: 5,
  }));
  const repo = new GitRepoCache({ childEnv, url: remote.bareDir, cacheDir: join(cacheRoot, 'cache') });
  const memory: PullRequestMemory = new Map();
  poll = () => validatePullRequests({ github, repo, memory, readManifest: async () => null });
});

afterAll(async () => {
  await server.stop();
  remote.cleanup();
  rmSync(cacheRoot, { recursive: true, force: true });
});

const sticky = (pr: number) =>
  server.state.commentsOn(pr).filter((c) => c.body.includes('backtest-gitops:sticky'));

describe('PR feedback edge cases', () => {
  it('validates a fork PR from refs/pull/N/head (its branch is not in our repository)', async () => {
    const pr = flow.openPr('fork-feature', { 'backtests/fork.yaml': config }, { fork: true });
    await poll();
    expect(sticky(pr.number)[0]?.body).toContain('comes from a fork');
    expect(server.state.statusesFor(pr.sha).map((s) => s.state)).toEqual(['success']);
    server.state.closePull(pr.number);
  });

  it('finds its comment on a later page of a busy PR and keeps idle polls free', async () => {
    const pr = flow.openPr('busy', { 'backtests/busy.yaml': config });
    for (let i = 0; i < 120; i += 1) server.state.addComment(pr.number, `discussion ${i}`);
    await poll();
    expect(sticky(pr.number)).toHaveLength(1);
    await poll(); // refresh ETags after our own write
    server.clearLog();
    for (let i = 0; i < 5; i += 1) await poll();
    expect(sticky(pr.number)).toHaveLength(1);
    expect(server.writes()).toEqual([]);
    expect(server.exchanges.reduce((sum, e) => sum + e.cost, 0)).toBe(0);
    // A human edits the discussion: one page changes, still no write from us.
    server.state.addComment(pr.number, 'LGTM');
    server.clearLog();
    await poll();
    expect(server.writes()).toEqual([]);
    server.state.closePull(pr.number);
  });

  it('leaves closed PRs alone, even after a new push', async () => {
    const pr = flow.openPr('abandoned', { 'backtests/abandoned.yaml': config });
    server.state.closePull(pr.number);
    flow.pushPr(pr.number, { 'backtests/abandoned.yaml': `${config}description: x\n` });
    server.clearLog();
    await poll();
    expect(server.state.commentsOn(pr.number)).toEqual([]);
    expect(server.writes()).toEqual([]);
  });

  it('as a GitHub App: installation token, status, comment and a check run with line annotations', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { github: app } = connectGitHub({
      repository: `${server.owner}/${server.repo}`,
      baseUrl: server.baseUrl,
      auth: {
        kind: 'app',
        appId: 1,
        installationId: 7,
        privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      },
      spaceWrites: false,
    });
    const repo = new GitRepoCache({ childEnv, url: remote.bareDir, cacheDir: join(cacheRoot, 'cache-app') });
    const pr = flow.openPr('app-typo', { 'backtests/typo.yaml': `${config}stop_los_pct: 3\n` });
    await validatePullRequests({ github: app, repo, memory: new Map(), readManifest: async () => null });
    const run = server.state.checkRuns.find((c) => c.headSha === pr.sha);
    expect(run).toMatchObject({
      name: 'backtest-gitops/validate',
      conclusion: 'failure',
      status: 'completed',
    });
    expect(run?.annotations).toEqual([
      expect.objectContaining({
        path: 'backtests/typo.yaml',
        start_line: 4,
        annotation_level: 'failure',
        title: 'unknown-key',
      }),
    ]);
    expect(sticky(pr.number)).toHaveLength(1);
  });

  it('a branch behind the default branch plans only its own changes (no reverts of later merges)', async () => {
    const pr = flow.openPr('behind', { 'backtests/behind.yaml': config });
    remote.git(['checkout', '--quiet', 'main']);
    const main = remote.commit({ 'backtests/later.yaml': config }, { branch: 'main' });
    remote.push('main');
    const repo = new GitRepoCache({
      childEnv,
      url: remote.bareDir,
      cacheDir: join(cacheRoot, 'cache-behind'),
    });
    await repo.sync();
    // Deployed as the controller deploys: each config with its last commit (BACKTEST_COMMIT).
    const deployed = deployedFromCommit(await repo.readConfigFiles(main), main, {
      commits: await repo.lastCommits(main),
    });
    await validatePullRequests({
      github,
      repo,
      memory: new Map(),
      readManifest: async () => deployed.manifest,
    });
    const body = sticky(pr.number)[0]?.body ?? '';
    expect(body).toContain(`merged onto \`${main.slice(0, 7)}\``);
    expect(body).toContain('**1 to create, 0 to update, 0 to delete');
    expect(body).not.toContain('`later`');
  });
});
