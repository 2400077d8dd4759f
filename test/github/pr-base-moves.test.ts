import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PullRequestMemory, validatePullRequests } from '../../src/controller/pull-requests.js';
import { GitRepoCache } from '../../src/git/index.js';
import { connectGitHub, type OctokitGitHub } from '../../src/github/index.js';
import type { Manifest } from '../../src/plan/types.js';
import { deployedFromCommit } from '../../src/report/index.js';
import { childEnv } from '../support/child-env.js';
import {
  createGitRemote,
  type GitHubServer,
  type GitRemoteFixture,
  PullRequestFlow,
  startGitHubServer,
} from '../support/github-server/index.js';

/**
 * An open PR's comment and status stay true when another PR merges and deploys: the real
 * Octokit client against the local GitHub server, PRs and merges on a real git remote.
 */

const grid = (dagId: string, values: string) =>
  `dag_id: ${dagId}\nstrategy_class: LongShortEquityStrategy\nstart_date: 2022-01-01\nend_date: 2022-12-31\nparam_grid:\n  take_profit_pct: ${values}\n`;

let server: GitHubServer;
let remote: GitRemoteFixture;
let flow: PullRequestFlow;
let cacheRoot: string;
let github: OctokitGitHub;
let repo: GitRepoCache;
let manifest: Manifest | null = null;
const memory: PullRequestMemory = new Map();

beforeAll(async () => {
  server = await startGitHubServer();
  remote = createGitRemote();
  remote.commit({ 'backtests/base.yaml': grid('base_grid', '[1.0]') });
  remote.push('main');
  flow = new PullRequestFlow(server, remote);
  cacheRoot = mkdtempSync(join(tmpdir(), 'btg-base-moves-'));
  ({ github } = connectGitHub({
    repository: `${server.owner}/${server.repo}`,
    baseUrl: server.baseUrl,
    auth: { kind: 'token', token: server.token },
    spaceWrites: false,
    retryBaseMs: 5,
  }));
  repo = new GitRepoCache({ childEnv, url: remote.bareDir, cacheDir: join(cacheRoot, 'cache') });
});

afterAll(async () => {
  await server.stop();
  remote.cleanup();
  rmSync(cacheRoot, { recursive: true, force: true });
});

/**
 * One reconcile as the controller runs it: fetch the config repository, validate open PRs,
 * then deploy the default branch head (the manifest that PR plans are made against).
 */
async function reconcile() {
  await repo.sync();
  const result = await validatePullRequests({ github, repo, memory, readManifest: async () => manifest });
  const head = await repo.defaultBranchSha();
  manifest = deployedFromCommit(await repo.readConfigFiles(head), head).manifest;
  return result;
}

const stickyBody = (pr: number) =>
  server.state.commentsOn(pr).find((c) => c.body.includes('backtest-gitops:sticky'))?.body ?? '';
/** Oldest first (the server lists them newest first, like GitHub). */
const statesOf = (sha: string) =>
  server.state
    .statusesFor(sha)
    .map((s) => s.state)
    .reverse();
const writeRoutes = () => server.writes().map((e) => `${e.method} ${e.route}`);
const cost = () => server.exchanges.reduce((sum, e) => sum + e.cost, 0);

describe('PR feedback when the default branch moves', () => {
  it('another PR landing the same dag_id turns the open PR red, editing its one comment', async () => {
    const mine = flow.openPr('momentum', { 'backtests/momentum.yaml': grid('momentum_daily', '[5.0]') });
    const theirs = flow.openPr('landed', { 'backtests/landed.yaml': grid('momentum_daily', '[9.0]') });
    await reconcile();
    expect(statesOf(mine.sha)).toEqual(['success']);
    expect(statesOf(theirs.sha)).toEqual(['success']);
    expect(stickyBody(mine.number)).not.toContain('dag-id-collision');

    const merge = flow.mergePr(theirs.number);
    server.clearLog();
    // The reconcile that fetches the merge validates before it deploys: nothing written yet.
    expect(await reconcile()).toMatchObject({ validated: 0, failed: [] });
    expect(server.writes()).toEqual([]);
    // The next one re-checks against the merge, now deployed: one status, one comment edit.
    const result = await reconcile();

    expect(result).toMatchObject({ validated: 1, failed: [] });
    expect(statesOf(mine.sha)).toEqual(['success', 'failure']);
    const body = stickyBody(mine.number);
    expect(body).toContain('dag-id-collision');
    expect(body).toContain(
      `merged onto \`${merge.slice(0, 7)}\` against the deployed \`${merge.slice(0, 7)}\``,
    );
    expect(server.state.commentsOn(mine.number)).toHaveLength(1);
    expect(writeRoutes()).toEqual([
      'POST /repos/{owner}/{repo}/statuses/{sha}',
      'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}',
    ]);
  });

  it('idle polls afterwards cost 304s only; a docs-only change on main writes nothing', async () => {
    await reconcile(); // refresh ETags after our own writes
    server.clearLog();
    for (let i = 0; i < 5; i += 1) await reconcile();
    expect(server.writes()).toEqual([]);
    expect(cost()).toBe(0);

    const pr = [...memory.keys()][0] ?? 0;
    const before = stickyBody(pr);
    remote.commit({ 'README.md': 'how to add a backtest\n' }, { branch: 'main' });
    remote.push('main');
    server.clearLog();
    await reconcile(); // waits for the deploy (a no-op: no config changed)
    const result = await reconcile();
    expect(result).toMatchObject({ validated: 0, unchanged: 1, failed: [] });
    expect(server.writes()).toEqual([]);
    expect(cost()).toBe(0);
    expect(stickyBody(pr)).toBe(before);
  });
});
