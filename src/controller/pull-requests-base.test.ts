import { describe, expect, it } from 'vitest';
import { InMemoryGitHub } from '../../test/support/in-memory-github.js';
import { reportedBase, withoutBaseMarker } from '../github/sticky-marker.js';
import type { Manifest } from '../plan/types.js';
import { deployedFromCommit } from '../report/index.js';
import { type PullRequestDeps, type PullRequestMemory, validatePullRequests } from './pull-requests.js';

/** A PR's report goes stale when the default branch or the deployment moves under it. */

const grid = (dagId: string, values = '[5.0, 10.0]') =>
  `dag_id: ${dagId}\nstrategy_class: LongShortEquityStrategy\nstart_date: 2022-01-01\nend_date: 2022-12-31\nparam_grid:\n  take_profit_pct: ${values}\n`;
const HEAD = 'a'.repeat(40);
const MAIN_1 = '1'.repeat(40);
const MAIN_2 = '2'.repeat(40);
const DEPLOYED = 'd'.repeat(40);

/** A config repo whose default branch can move; PRs are checked merged onto it. */
function setup() {
  const github = new InMemoryGitHub(false);
  const memory: PullRequestMemory = new Map();
  const state = {
    main: { sha: MAIN_1, files: { 'backtests/base.yaml': grid('base_grid') } as Record<string, string> },
    heads: { [HEAD]: { 'backtests/momentum.yaml': grid('momentum_daily') } } as Record<
      string,
      Record<string, string>
    >,
    manifest: null as Manifest | null,
    reads: 0,
  };
  const deps: PullRequestDeps = {
    github,
    memory,
    repo: {
      sync: async () => {},
      readConfigFiles: async (sha) => new Map(Object.entries(state.heads[sha] ?? {})),
      readMergedConfigFiles: async (sha) => {
        state.reads += 1;
        return {
          files: new Map(Object.entries({ ...state.main.files, ...state.heads[sha] })),
          base: state.main.sha,
        };
      },
      defaultBranchSha: async () => state.main.sha,
    },
    readManifest: async () => state.manifest,
  };
  const moveMain = (sha: string, files: Record<string, string>) => {
    state.main = { sha, files: { ...state.main.files, ...files } };
  };
  return { github, memory, deps, state, moveMain };
}

const stickyBody = (github: InMemoryGitHub) => github.comments.get(1)?.[0]?.body ?? '';

describe('validatePullRequests when the base moves', () => {
  it('main gains a config with the same dag_id: once deployed, the comment shows the collision and the status fails', async () => {
    const { github, deps, state, moveMain } = setup();
    github.open({ number: 1, headSha: HEAD });
    await validatePullRequests(deps);
    expect(github.statuses.map((s) => s.state)).toEqual(['success']);
    expect(stickyBody(github)).not.toContain('dag-id-collision');

    moveMain(MAIN_2, { 'backtests/landed.yaml': grid('momentum_daily', '[1.0]') });
    // The reconcile validates PRs, then deploys the new head: the re-check waits for it.
    expect(await validatePullRequests(deps)).toMatchObject({ validated: 0, unchanged: 0 });
    expect(state.reads).toBe(1);
    state.manifest = { version: 1, generator: 'test', commit: MAIN_2, entries: [] };
    const result = await validatePullRequests(deps);

    expect(result.validated).toBe(1);
    expect(github.comments.get(1)).toHaveLength(1); // the same sticky comment, edited
    expect(stickyBody(github)).toContain('dag-id-collision');
    expect(stickyBody(github)).toContain(`merged onto \`${MAIN_2.slice(0, 7)}\``);
    expect(github.statuses.map((s) => [s.sha, s.state])).toEqual([
      [HEAD, 'success'],
      [HEAD, 'failure'],
    ]);
    expect(github.writes).toEqual([
      'status backtest-gitops/validate success',
      'create-comment #1',
      'status backtest-gitops/validate failure',
      'update-comment #1',
    ]);
  });

  it("another PR's config landing never shows as this PR's create: the re-check waits for its deploy", async () => {
    const { github, deps, state, moveMain } = setup();
    const deploy = () => {
      const files = new Map(Object.entries(state.main.files));
      state.manifest = deployedFromCommit(files, state.main.sha).manifest;
    };
    deploy();
    github.open({ number: 1, headSha: HEAD });
    await validatePullRequests(deps);
    expect(stickyBody(github)).toContain('**1 to create, 0 to update, 0 to delete, 1 unchanged');

    moveMain(MAIN_2, { 'backtests/other.yaml': grid('other_grid') });
    const writes = github.writes.length;
    await validatePullRequests(deps);
    expect(github.writes).toHaveLength(writes); // not "2 to create" for a moment
    deploy();
    await validatePullRequests(deps);
    const body = stickyBody(github);
    expect(body).toContain('**1 to create, 0 to update, 0 to delete, 2 unchanged');
    expect(body).not.toMatch(/other_grid` \| create/);
    expect(github.statuses.map((s) => s.state)).toEqual(['success', 'success']);
  });

  it('when the deploy of the new head does not land, the next round re-checks anyway', async () => {
    const { github, deps, moveMain } = setup();
    github.open({ number: 1, headSha: HEAD });
    await validatePullRequests(deps);
    moveMain(MAIN_2, { 'backtests/landed.yaml': grid('momentum_daily', '[1.0]') });
    await validatePullRequests(deps); // waits for the deploy
    expect((await validatePullRequests(deps)).validated).toBe(1); // it failed: check now
    expect(stickyBody(github)).toContain('dag-id-collision');
    expect(github.statuses.at(-1)?.state).toBe('failure');
  });

  it('main moves without changing what the PR would deploy: re-checked once, nothing written', async () => {
    const { github, deps, state, moveMain } = setup();
    github.open({ number: 1, headSha: HEAD });
    await validatePullRequests(deps);
    const writes = [...github.writes];
    const body = stickyBody(github);

    moveMain(MAIN_2, { 'README.md': 'docs only' }); // not a config: the plan reads the same
    await validatePullRequests(deps); // waits one round for a deploy (a no-op here)
    const result = await validatePullRequests(deps);
    expect(result).toMatchObject({ validated: 0, unchanged: 1, failed: [] });
    expect(state.reads).toBe(2);
    expect(github.writes).toEqual(writes);
    expect(stickyBody(github)).toBe(body);

    for (let i = 0; i < 20; i += 1) await validatePullRequests(deps);
    expect(state.reads).toBe(2); // remembered against the new base: idle again
    expect(github.writes).toEqual(writes);
  });

  it('a new deployment re-checks the PR; an unchanged plan writes nothing', async () => {
    const { github, deps, state } = setup();
    github.open({ number: 1, headSha: HEAD });
    await validatePullRequests(deps);
    const writes = github.writes.length;
    state.manifest = { version: 1, generator: 'test', commit: DEPLOYED, entries: [] };
    expect((await validatePullRequests(deps)).unchanged).toBe(1);
    expect(state.reads).toBe(2);
    expect(github.writes).toHaveLength(writes);
  });

  it('records the base in a hidden marker, so a restart re-checks only when the base moved', async () => {
    const { github, deps, state, moveMain } = setup();
    github.open({ number: 1, headSha: HEAD });
    await validatePullRequests(deps);
    expect(reportedBase(stickyBody(github))).toBe(`${MAIN_1}/none`);

    const restarted = { ...deps, memory: new Map() as PullRequestMemory };
    await validatePullRequests(restarted);
    expect(state.reads).toBe(1); // same base: the marker is enough

    moveMain(MAIN_2, { 'backtests/landed.yaml': grid('momentum_daily') });
    const again = { ...deps, memory: new Map() as PullRequestMemory };
    expect((await validatePullRequests(again)).validated).toBe(1);
    expect(reportedBase(stickyBody(github))).toBe(`${MAIN_2}/none`);
    expect(github.statuses.at(-1)?.state).toBe('failure');
  });

  it('a comment written before base markers existed is re-checked once and left as it is', async () => {
    const { github, deps, state } = setup();
    github.open({ number: 1, headSha: HEAD });
    await validatePullRequests(deps);
    const comment = github.comments.get(1)?.[0];
    if (!comment) throw new Error('no comment');
    comment.body = withoutBaseMarker(comment.body); // as an older controller wrote it
    const old = comment.body;
    const writes = github.writes.length;

    const restarted = { ...deps, memory: new Map() as PullRequestMemory };
    expect((await validatePullRequests(restarted)).unchanged).toBe(1);
    await validatePullRequests(restarted);
    expect(state.reads).toBe(2);
    expect(github.writes).toHaveLength(writes);
    expect(stickyBody(github)).toBe(old);
  });

  it('a deleted comment is posted again with a fresh check when the base moved meanwhile', async () => {
    const { github, deps, moveMain } = setup();
    github.open({ number: 1, headSha: HEAD });
    await validatePullRequests(deps);
    github.comments.set(1, []);
    moveMain(MAIN_2, { 'backtests/landed.yaml': grid('momentum_daily') });
    const result = await validatePullRequests(deps);
    expect(result).toMatchObject({ validated: 1, recreated: 0 });
    expect(stickyBody(github)).toContain('dag-id-collision');
  });
});
