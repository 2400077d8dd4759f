import { describe, expect, it } from 'vitest';
import { InMemoryGitHub } from '../../test/support/in-memory-github.js';
import { STICKY_MARKER } from '../github/sticky-marker.js';
import { type PullRequestDeps, type PullRequestMemory, validatePullRequests } from './pull-requests.js';

const VALID =
  'strategy_class: LongShortEquityStrategy\nstart_date: 2022-01-01\nend_date: 2022-12-31\nparam_grid:\n  take_profit_pct: [5.0, 10.0, 15.0]\n';
const TYPO = 'strategy_class: X\nstart_date: 2022-01-01\nend_date: 2022-12-31\nstop_los_pct: 3\n';
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

function setup(trees: Record<string, Record<string, string>>, opts: { app?: boolean } = {}) {
  const github = new InMemoryGitHub(opts.app ?? false);
  const memory: PullRequestMemory = new Map();
  let reads = 0;
  const deps: PullRequestDeps = {
    github,
    memory,
    repo: {
      sync: async () => {},
      readConfigFiles: async (sha) => {
        reads += 1;
        return new Map(Object.entries(trees[sha] ?? {}));
      },
    },
    readManifest: async () => null,
  };
  return { github, memory, deps, reads: () => reads };
}

describe('validatePullRequests', () => {
  it('reports a new PR once: one comment, one status; idle rounds write nothing', async () => {
    const { github, deps, reads } = setup({ [A]: { 'backtests/grid.yaml': VALID } });
    github.open({ number: 1, headSha: A });
    expect((await validatePullRequests(deps)).validated).toBe(1);
    expect(github.comments.get(1)).toHaveLength(1);
    expect(github.comments.get(1)?.[0]?.body).toContain(STICKY_MARKER);
    expect(github.statuses).toEqual([
      {
        sha: A,
        context: 'backtest-gitops/validate',
        state: 'success',
        description: expect.stringMatching(/^Valid: 1 to create; 3 runs in 1 DAG/),
      },
    ]);
    const writes = github.writes.length;
    for (let i = 0; i < 100; i += 1) await validatePullRequests(deps);
    expect(github.writes.length).toBe(writes);
    expect(reads()).toBe(1);
  });

  it('edits the same comment on a new push and sets the status on the new SHA', async () => {
    const { github, deps } = setup({
      [A]: { 'backtests/grid.yaml': VALID },
      [B]: { 'backtests/grid.yaml': TYPO },
    });
    github.open({ number: 1, headSha: A });
    await validatePullRequests(deps);
    github.open({ number: 1, headSha: B });
    await validatePullRequests(deps);
    expect(github.comments.get(1)).toHaveLength(1);
    expect(github.comments.get(1)?.[0]?.body).toContain('unknown key `stop_los_pct`');
    expect(github.statuses.map((s) => [s.sha, s.state])).toEqual([
      [A, 'success'],
      [B, 'failure'],
    ]);
  });

  it('does not repost after a restart: the comment marker says which head was reported', async () => {
    const first = setup({ [A]: { 'backtests/grid.yaml': VALID } });
    first.github.open({ number: 1, headSha: A });
    await validatePullRequests(first.deps);
    const writes = first.github.writes.length;
    const restarted = { ...first.deps, memory: new Map() as PullRequestMemory };
    await validatePullRequests(restarted);
    expect(first.github.writes.length).toBe(writes);
    expect(restarted.memory.get(1)?.headSha).toBe(A);
  });

  it('recreates a deleted comment without checking again', async () => {
    const { github, deps, reads } = setup({ [A]: { 'backtests/grid.yaml': VALID } });
    github.open({ number: 1, headSha: A });
    await validatePullRequests(deps);
    const body = github.comments.get(1)?.[0]?.body;
    github.comments.set(1, []);
    const result = await validatePullRequests(deps);
    expect(result.recreated).toBe(1);
    expect(github.comments.get(1)?.[0]?.body).toBe(body);
    expect(reads()).toBe(1);
  });

  it('never posts a stale result over a newer head', async () => {
    const { github, deps } = setup({
      [A]: { 'backtests/grid.yaml': VALID },
      [B]: { 'backtests/grid.yaml': VALID },
    });
    github.open({ number: 1, headSha: A });
    github.onGetPull = () => {
      github.open({ number: 1, headSha: B }); // pushed while we were checking A
      github.onGetPull = null;
    };
    const result = await validatePullRequests(deps);
    expect(result.stale).toBe(1);
    expect(github.writes).toEqual([]);
    await validatePullRequests(deps);
    expect(github.statuses.map((s) => s.sha)).toEqual([B]);
  });

  it('leaves closed PRs alone and validates fork PRs without executing anything', async () => {
    const { github, deps } = setup({
      [A]: { 'backtests/grid.yaml': VALID },
      [B]: { 'backtests/grid.yaml': VALID },
    });
    github.open({ number: 1, headSha: A, state: 'closed' });
    github.open({ number: 2, headSha: B, fromFork: true });
    await validatePullRequests(deps);
    expect(github.comments.has(1)).toBe(false);
    expect(github.comments.get(2)?.[0]?.body).toContain('comes from a fork');
  });

  it('adds a check run with line annotations when authenticated as an App', async () => {
    const { github, deps } = setup({ [A]: { 'backtests/bad.yaml': TYPO } }, { app: true });
    github.open({ number: 3, headSha: A });
    await validatePullRequests(deps);
    expect(github.checkRuns[0]?.conclusion).toBe('failure');
    expect(github.checkRuns[0]?.annotations).toEqual([
      expect.objectContaining({
        path: 'backtests/bad.yaml',
        start_line: 4,
        annotation_level: 'failure',
        title: 'unknown-key',
      }),
    ]);
  });

  it('check-run annotations carry user text as one plain, bounded line: no line breaks, controls or bidi overrides', async () => {
    // Unknown keys become the annotation's message (and its did-you-mean hint): a stranger's
    // PR chooses them. A quoted YAML key may hold CR, LF, BEL and a right-to-left override.
    const hostileKey = `"x\\r\\n### Approved by @security-team\\u202e\\u0007${'y'.repeat(960)}"`;
    const config = `strategy_class: X\nstart_date: 2022-01-01\nend_date: 2022-12-31\n${hostileKey}: 1\n`;
    const { github, deps } = setup({ [A]: { 'backtests/bad.yaml': config } }, { app: true });
    github.open({ number: 4, headSha: A });
    await validatePullRequests(deps);
    const annotations = github.checkRuns[0]?.annotations ?? [];
    const hostile = annotations.filter((a) => a.message.includes('Approved by'));
    expect(hostile.length).toBeGreaterThan(0); // the hostile key did reach an annotation
    expect(hostile[0]?.message.endsWith('…')).toBe(true); // and was long enough to be cut
    for (const a of annotations) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not appear
      expect(a.message).not.toMatch(/[\r\n\u0000-\u001f\u202a-\u202e\u2066-\u2069]/);
      expect(a.message.length).toBeLessThanOrEqual(1000);
    }
  });

  it('keeps going when one PR fails and reports which', async () => {
    const { github, deps } = setup({ [B]: { 'backtests/grid.yaml': VALID } });
    deps.repo.readConfigFiles = async (sha) => {
      if (sha === A) throw new Error('object missing');
      return new Map([['backtests/grid.yaml', VALID]]);
    };
    github.open({ number: 1, headSha: A });
    github.open({ number: 2, headSha: B });
    const result = await validatePullRequests(deps);
    expect(result.failed).toEqual([{ pr: 1, error: 'object missing' }]);
    expect(result.validated).toBe(1);
  });

  it('after a failed comment write, the next round reports again without a second status', async () => {
    const { github, deps } = setup({ [A]: { 'backtests/grid.yaml': VALID } });
    github.open({ number: 1, headSha: A });
    const upsert = github.upsertStickyComment.bind(github);
    github.upsertStickyComment = async () => {
      throw new Error('GitHub is down');
    };
    expect((await validatePullRequests(deps)).failed).toHaveLength(1);
    github.upsertStickyComment = upsert;
    expect((await validatePullRequests(deps)).validated).toBe(1);
    expect(github.comments.get(1)).toHaveLength(1);
    expect(github.statuses).toHaveLength(1);
  });

  it('validates only PRs into the deployed branch when told which it is', async () => {
    const { github, deps } = setup({
      [A]: { 'backtests/grid.yaml': VALID },
      [B]: { 'backtests/grid.yaml': VALID },
    });
    github.open({ number: 1, headSha: A });
    github.open({ number: 2, headSha: B, baseRef: 'feature-x' });
    await validatePullRequests({ ...deps, baseBranch: 'main' });
    expect(github.comments.has(1)).toBe(true);
    expect(github.comments.has(2)).toBe(false);
  });
});
