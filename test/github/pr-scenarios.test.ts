import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportDeploy } from '../../src/controller/deploy-report.js';
import { type PullRequestMemory, validatePullRequests } from '../../src/controller/pull-requests.js';
import { GitRepoCache } from '../../src/git/index.js';
import { connectGitHub, createGitHubClient, OctokitGitHub } from '../../src/github/index.js';
import type { DeployReport } from '../../src/mwaa/deploy-report.js';
import { GitHubApiError } from '../../src/shared/errors.js';
import { childEnv } from '../support/child-env.js';
import {
  createGitRemote,
  type GitHubServer,
  type GitRemoteFixture,
  PullRequestFlow,
  startGitHubServer,
} from '../support/github-server/index.js';

const grid = (name: string, values = '[5.0, 10.0, 15.0]') =>
  `strategy_class: LongShortEquityStrategy\ndescription: ${name}\nstart_date: 2022-01-01\nend_date: 2022-12-31\nparam_grid:\n  take_profit_pct: ${values}\n  stop_loss_pct: [3.0, 5.0, 8.0]\n`;
const TYPO = 'strategy_class: X\nstart_date: 2022-01-01\nend_date: 2022-12-31\nstop_los_pct: 3\n';

let server: GitHubServer;
let remote: GitRemoteFixture;
let flow: PullRequestFlow;
let github: OctokitGitHub;
let cacheRoot: string;
const logs: string[] = [];
const memory: PullRequestMemory = new Map();
let poll: () => ReturnType<typeof validatePullRequests>;

beforeAll(async () => {
  server = await startGitHubServer();
  remote = createGitRemote();
  remote.commit({ 'backtests/base.yaml': grid('base') });
  remote.push('main');
  flow = new PullRequestFlow(server, remote);
  cacheRoot = mkdtempSync(join(tmpdir(), 'btg-cache-'));
  const log = (level: string) => (m: string) => logs.push(`${level} ${m}`);
  ({ github } = connectGitHub({
    repository: `${server.owner}/${server.repo}`,
    baseUrl: server.baseUrl,
    webUrl: server.webUrl,
    auth: { kind: 'token', token: server.token },
    spaceWrites: false,
    retryBaseMs: 5,
    log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
  }));
  const repo = new GitRepoCache({ childEnv, url: remote.bareDir, cacheDir: join(cacheRoot, 'cache') });
  poll = () =>
    validatePullRequests({
      github,
      repo,
      memory,
      readManifest: async () => null,
      log: { info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`) },
    });
});

afterAll(async () => {
  await server.stop();
  remote.cleanup();
  rmSync(cacheRoot, { recursive: true, force: true });
});

const stickyComments = (pr: number) =>
  server.state.commentsOn(pr).filter((c) => c.body.includes('backtest-gitops:sticky'));
const validateStatuses = (sha: string) =>
  server.state.statusesFor(sha).filter((s) => s.context === 'backtest-gitops/validate');

describe('PR feedback against the local GitHub API and a real git remote', () => {
  let pr1: { number: number; sha: string };

  it('new PR → exactly one comment and a success status on its head', async () => {
    pr1 = flow.openPr('momentum', { 'backtests/momentum.yaml': grid('momentum') });
    expect((await poll()).validated).toBe(1);
    expect(stickyComments(pr1.number)).toHaveLength(1);
    expect(stickyComments(pr1.number)[0]?.body).toMatch(/configs are valid[\s\S]*`momentum` \| create \| 9/);
    expect(validateStatuses(pr1.sha).map((s) => s.state)).toEqual(['success']);
  });

  it('new push → the same comment edited, failure status on the new SHA', async () => {
    const id = stickyComments(pr1.number)[0]?.id;
    const sha = flow.pushPr(pr1.number, { 'backtests/momentum.yaml': TYPO });
    await poll();
    const comments = stickyComments(pr1.number);
    expect(comments.map((c) => c.id)).toEqual([id]);
    expect(comments[0]?.body).toContain('backtests/momentum.yaml:4:1');
    expect(comments[0]?.body).toContain(
      `${server.webUrl}/${server.owner}/${server.repo}/blob/${sha}/backtests/momentum.yaml#L4`,
    );
    expect(validateStatuses(sha).map((s) => [s.state, s.description])).toEqual([
      ['failure', expect.stringContaining('1 error in 1 config')],
    ]);
    pr1.sha = sha;
  });

  it('100 idle polls → still one comment, zero writes, zero rate-limit points', async () => {
    await poll(); // warm the ETag cache after our own writes
    server.clearLog();
    for (let i = 0; i < 100; i += 1) await poll();
    expect(server.writes()).toEqual([]);
    expect(server.exchanges.every((e) => e.status === 304)).toBe(true);
    expect(server.exchanges.reduce((sum, e) => sum + e.cost, 0)).toBe(0);
    expect(stickyComments(pr1.number)).toHaveLength(1);
  });

  it('comment deleted by a user → recreated', async () => {
    const comment = stickyComments(pr1.number)[0];
    server.state.deleteComment(comment?.id ?? 0);
    expect((await poll()).recreated).toBe(1);
    expect(stickyComments(pr1.number)).toHaveLength(1);
    expect(stickyComments(pr1.number)[0]?.body).toBe(comment?.body);
  });

  it('403/429 secondary rate limits with retry-after → honoured, nothing lost', async () => {
    const pr = flow.openPr('value', { 'backtests/value.yaml': grid('value', '[1.0]') });
    server.injectFault({
      method: 'POST',
      path: /\/statuses\//,
      status: 403,
      secondary: true,
      retryAfter: 1,
      times: 1,
    });
    server.injectFault({
      method: 'POST',
      path: /\/issues\/\d+\/comments$/,
      status: 429,
      secondary: true,
      retryAfter: 1,
      times: 1,
    });
    server.clearLog();
    await poll();
    expect(validateStatuses(pr.sha).map((s) => s.state)).toEqual(['success']);
    expect(stickyComments(pr.number)).toHaveLength(1);
    const statusPosts = server.exchanges.filter((e) => e.method === 'POST' && e.path.includes('/statuses/'));
    expect(statusPosts.map((e) => e.status)).toEqual([403, 201]);
    const commentPosts = server.exchanges.filter((e) => e.method === 'POST' && e.path.includes('/comments'));
    expect(commentPosts.map((e) => e.status)).toEqual([429, 201]);
    expect(logs.some((l) => l.includes('secondary rate limit') && l.includes('retrying in 1s'))).toBe(true);
  });

  it('5xx → retried', async () => {
    const pr = flow.openPr('retry', { 'backtests/retry.yaml': grid('retry', '[2.0]') });
    server.injectFault({ method: 'GET', path: /\/pulls$/, status: 502, times: 2 });
    server.injectFault({ method: 'POST', path: /\/issues\/\d+\/comments$/, status: 500, times: 1 });
    server.clearLog();
    await poll();
    expect(stickyComments(pr.number)).toHaveLength(1);
    expect(validateStatuses(pr.sha)).toHaveLength(1);
    expect(server.exchanges.filter((e) => e.status >= 500)).toHaveLength(3);
  });

  it('huge plan → body under the 65,536-character limit, posted', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 250; i += 1)
      files[`backtests/sweep/s${String(i).padStart(3, '0')}.yaml`] = grid(`sweep ${i}`);
    const pr = flow.openPr('huge', files);
    await poll();
    const body = stickyComments(pr.number)[0]?.body ?? '';
    expect(body.length).toBeGreaterThan(10_000);
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toContain('251 to create'); // 250 new + base.yaml (nothing deployed yet)
    expect(body).toMatch(/rendered files? omitted to fit GitHub's comment limit/);
    expect(validateStatuses(pr.sha)).toHaveLength(1);
  });

  it('merge → deploy status on the merge commit and a report on the PR', async () => {
    const pr = flow.openPr('merge-me', { 'backtests/merged.yaml': grid('merged') });
    await poll();
    const mergeSha = flow.mergePr(pr.number);
    const report: DeployReport = {
      commit: mergeSha,
      target: 's3://mwaa-dags/dags',
      environment: 'research',
      airflow_version: '2.10.3',
      dags: [
        {
          dag_id: 'merged',
          source: 'backtests/merged.yaml',
          action: 'create',
          imported: true,
          import_error: null,
          unpaused: true,
          triggered: null,
        },
      ],
      kept_invalid: [],
      ok: true,
      summary: '1 DAG created and imported',
    };
    expect(await reportDeploy({ github }, mergeSha, report)).toEqual({
      statusSet: true,
      commentedOn: pr.number,
    });
    expect(server.state.statusesFor(mergeSha).map((s) => [s.context, s.state])).toEqual([
      ['backtest-gitops/deploy', 'success'],
    ]);
    expect(
      server.state.commentsOn(pr.number).filter((c) => c.body.includes('backtest-gitops:deploy')),
    ).toHaveLength(1);
    await reportDeploy({ github }, mergeSha, report); // idempotent
    expect(
      server.state.commentsOn(pr.number).filter((c) => c.body.includes('backtest-gitops:deploy')),
    ).toHaveLength(1);
    // The merged PR is closed now: polls leave it alone.
    server.clearLog();
    await poll();
    expect(server.exchanges.some((e) => e.path.includes(`/issues/${pr.number}/`))).toBe(false);
  });

  it('bad token → GitHubApiError 401 with a fix-it hint; the token is absent from every log and error', async () => {
    const badToken = 'ghp_thisTokenIsWrongAndMustNeverBeLogged0001';
    const { github: bad } = connectGitHub({
      repository: `${server.owner}/${server.repo}`,
      baseUrl: server.baseUrl,
      auth: { kind: 'token', token: badToken },
      spaceWrites: false,
      log: {
        debug: (m) => logs.push(m),
        info: (m) => logs.push(m),
        warn: (m) => logs.push(m),
        error: (m) => logs.push(m),
      },
    });
    const err = await bad.listOpenPulls().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GitHubApiError);
    expect((err as GitHubApiError).status).toBe(401);
    expect((err as GitHubApiError).hint).toMatch(/token is invalid or expired/);
    const everything = [
      ...logs,
      String((err as Error).message),
      String((err as Error).stack),
      JSON.stringify(server.exchanges),
    ].join('\n');
    expect(everything).not.toContain(badToken);
    expect(everything).not.toContain(server.token);
  });

  it('reports the remaining quota as a figure', async () => {
    const figure = await github.rateLimit();
    expect(figure.limit).toBe(5000);
    expect(figure.remaining).toBe(5000 - server.state.quota.used);
  });

  it('403 missing permission and 404 repository → errors whose hints say what to fix', async () => {
    const { octokit, traffic } = createGitHubClient({
      baseUrl: server.baseUrl,
      auth: { kind: 'token', token: server.token },
      spaceWrites: false,
    });
    // A personal token pretending it may create check runs: GitHub answers 403.
    const pat = new OctokitGitHub(
      octokit,
      traffic,
      { owner: server.owner, repo: server.repo, webUrl: server.webUrl },
      true,
    );
    const denied = await pat
      .createCheckRun({
        name: 'x',
        headSha: 'a'.repeat(40),
        conclusion: 'success',
        title: 't',
        summary: 's',
        annotations: [],
      })
      .then(
        () => null,
        (e: unknown) => e as GitHubApiError,
      );
    expect(denied?.status).toBe(403);
    expect(denied?.hint).toMatch(/lacks the "checks:write" permission/);
    const { github: missing } = connectGitHub({
      repository: `${server.owner}/no-such-repo`,
      baseUrl: server.baseUrl,
      auth: { kind: 'token', token: server.token },
      spaceWrites: false,
    });
    const notFound = await missing.listOpenPulls().then(
      () => null,
      (e: unknown) => e as GitHubApiError,
    );
    expect(notFound?.status).toBe(404);
    expect(notFound?.hint).toMatch(/repository quant\/no-such-repo not found/);
  });

  it('primary quota exhausted → waits for a reset that is near, gives up (typed, retried next poll) when far', async () => {
    server.injectFault({ method: 'GET', path: /\/pulls$/, status: 403, primaryResetIn: 1, times: 1 });
    const near = await poll();
    expect(near.failed).toEqual([]);
    server.injectFault({ method: 'GET', path: /\/pulls$/, status: 403, primaryResetIn: 1800, times: 1 });
    const far = await poll().then(
      () => null,
      (e: unknown) => e as GitHubApiError,
    );
    expect(far).toBeInstanceOf(GitHubApiError);
    expect(far?.status).toBe(403);
    expect(far?.hint).toMatch(/rate limit exhausted/);
    expect(logs.some((l) => l.includes('giving up for now'))).toBe(true);
  });
});
