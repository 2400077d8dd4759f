import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectGitHub, createGitHubClient } from '../../src/github/index.js';
import { type GitHubServer, startGitHubServer } from '../support/github-server/index.js';
import { OpenApiContract } from '../support/github-server/openapi-contract.js';

let server: GitHubServer;

beforeAll(async () => {
  server = await startGitHubServer();
});
afterAll(() => server.stop());

describe('the local GitHub server matches GitHub OpenAPI description', () => {
  it('answers every endpoint the controller uses with bodies valid against @octokit/openapi', async () => {
    const sha = 'a'.repeat(40);
    const merge = 'b'.repeat(40);
    server.state.openPull({ headRef: 'feature', headSha: sha });
    server.state.openPull({ headRef: 'fork-branch', headSha: 'c'.repeat(40), fork: true });
    const { github } = connectGitHub({
      repository: `${server.owner}/${server.repo}`,
      baseUrl: server.baseUrl,
      auth: { kind: 'token', token: server.token },
      spaceWrites: false,
    });
    const { octokit } = createGitHubClient({
      baseUrl: server.baseUrl,
      auth: { kind: 'token', token: server.token },
      spaceWrites: false,
    });
    const o = { owner: server.owner, repo: server.repo };

    // Who the controller writes as: the token's user, or the App's `<slug>[bot]`.
    expect(await github.botLogin()).toBe(server.state.tokenUser.login);
    expect((await github.listOpenPulls()).map((p) => p.fromFork)).toEqual([true, false]);
    await github.listOpenPulls(); // 304
    expect((await github.getPull(1)).headSha).toBe(sha);
    expect(await github.upsertStickyComment(1, 'hello')).toBe('created');
    expect(await github.upsertStickyComment(1, 'hello again')).toBe('updated');
    const comment = await github.findStickyComment(1);
    await octokit.rest.issues.deleteComment({ ...o, comment_id: comment?.id ?? 0 });
    expect(await github.setStatus(sha, 'backtest-gitops/validate', 'success', 'ok')).toBe(true);
    await octokit.rest.repos.getCombinedStatusForRef({ ...o, ref: sha });
    server.state.mergePull(1, merge);
    expect((await github.pullsForCommit(merge)).map((p) => p.number)).toEqual([1]);
    await github.commentOnPull(1, 'deployed');
    await octokit.rest.rateLimit.get();
    await octokit.rest.checks.listForRef({ ...o, ref: sha });

    // GitHub App: installation token, then a check run with annotations.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const app = connectGitHub({
      repository: `${server.owner}/${server.repo}`,
      baseUrl: server.baseUrl,
      auth: {
        kind: 'app',
        appId: 1,
        installationId: 42,
        privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      },
      spaceWrites: false,
    });
    await app.github.createCheckRun({
      name: 'backtest-gitops/validate',
      headSha: sha,
      conclusion: 'failure',
      title: '1 error',
      summary: 'see annotations',
      annotations: Array.from({ length: 60 }, (_, i) => ({
        path: 'backtests/a.yaml',
        start_line: i + 1,
        end_line: i + 1,
        annotation_level: 'failure' as const,
        message: `problem ${i}`,
      })),
    });
    expect(server.state.checkRuns[0]?.annotations).toHaveLength(60);
    expect(await app.github.botLogin()).toBe('backtest-gitops[bot]');
    expect(await app.github.upsertStickyComment(1, 'from the App')).toBe('created');
    expect(server.state.commentsOn(1).at(-1)?.user.login).toBe('backtest-gitops[bot]');
    expect(await app.gitToken()).toMatch(/^ghs_/); // installation token for git over HTTPS

    // Error answers too, where GitHub documents them (404 on a missing pull).
    await expect(github.getPull(999)).rejects.toMatchObject({ status: 404 });

    const contract = new OpenApiContract();
    const routes = new Set<string>();
    const problems: string[] = [];
    for (const ex of server.exchanges) {
      problems.push(...contract.check(ex));
      routes.add(`${ex.method} ${ex.route} ${ex.status}`);
    }
    expect(problems).toEqual([]);
    expect([...routes].sort()).toEqual(
      expect.arrayContaining([
        'GET /repos/{owner}/{repo}/pulls 200',
        'GET /repos/{owner}/{repo}/pulls 304',
        'GET /repos/{owner}/{repo}/pulls/{pull_number} 200',
        'GET /repos/{owner}/{repo}/issues/{issue_number}/comments 200',
        'POST /repos/{owner}/{repo}/issues/{issue_number}/comments 201',
        'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id} 200',
        'DELETE /repos/{owner}/{repo}/issues/comments/{comment_id} 204',
        'POST /repos/{owner}/{repo}/statuses/{sha} 201',
        'GET /repos/{owner}/{repo}/commits/{ref}/statuses 200',
        'GET /repos/{owner}/{repo}/commits/{ref}/status 200',
        'GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls 200',
        'GET /rate_limit 200',
        'GET /user 200',
        'GET /app 200',
        'POST /app/installations/{installation_id}/access_tokens 201',
        'POST /repos/{owner}/{repo}/check-runs 201',
        'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id} 200',
        'GET /repos/{owner}/{repo}/commits/{ref}/check-runs 200',
        'GET /repos/{owner}/{repo}/pulls/{pull_number} 404',
      ]),
    );
  });
});
