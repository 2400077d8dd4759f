import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectGitHub } from '../../src/github/index.js';
import { RESULTS_MARKER } from '../../src/results/render-markdown.js';
import {
  createGitRemote,
  type GitHubServer,
  PullRequestFlow,
  startGitHubServer,
} from '../support/github-server/index.js';

/**
 * The GitHub half of the results follower with the real Octokit against the local GitHub
 * REST server: the merged PR and its author found from the merge commit, one results
 * comment created, then edited in place by its remembered id, re-created if deleted, and a
 * look-alike comment by someone else never edited.
 */
let server: GitHubServer;

beforeAll(async () => {
  server = await startGitHubServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('results comment on the merged PR (real Octokit, local GitHub server)', () => {
  it('finds the PR and its author, and keeps one comment edited in place', async () => {
    const remote = createGitRemote();
    remote.commit({ 'README.md': '# configs\n' });
    remote.push('main');
    const flow = new PullRequestFlow(server, remote);
    const pr = flow.openPr('grid', { 'backtests/grid.yaml': 'strategy_class: S\n' });
    const merge = flow.mergePr(pr.number);
    const { github } = connectGitHub({
      repository: `${server.owner}/${server.repo}`,
      baseUrl: server.baseUrl,
      auth: { kind: 'token', token: server.token },
      spaceWrites: false,
    });

    const pulls = await github.pullsForCommit(merge);
    const merged = pulls.find((p) => p.merged);
    expect(merged?.number).toBe(pr.number);
    expect(merged?.author).toBe('researcher');

    // Someone pastes our marker: it is not ours, so it is never edited.
    server.state.addComment(pr.number, `${RESULTS_MARKER}\nfake results`);
    const first = await github.upsertMarkedComment(
      pr.number,
      RESULTS_MARKER,
      `${RESULTS_MARKER}\n4/9 done`,
      null,
    );
    expect(first.outcome).toBe('created');
    const second = await github.upsertMarkedComment(
      pr.number,
      RESULTS_MARKER,
      `${RESULTS_MARKER}\n9/9 done`,
      first.id,
    );
    expect(second).toEqual({ outcome: 'updated', id: first.id });
    const bodies = server.state.commentsOn(pr.number).map((c) => c.body);
    expect(bodies).toEqual([`${RESULTS_MARKER}\nfake results`, `${RESULTS_MARKER}\n9/9 done`]);

    // Deleted by hand: the remembered id is gone, the comment is written anew.
    server.state.deleteComment(first.id);
    const third = await github.upsertMarkedComment(
      pr.number,
      RESULTS_MARKER,
      `${RESULTS_MARKER}\n9/9 done`,
      first.id,
    );
    expect(third.outcome).toBe('created');
    expect(server.state.commentsOn(pr.number).filter((c) => c.body.endsWith('9/9 done'))).toHaveLength(1);
  });
});
