import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectGitHub } from '../../src/github/index.js';
import { GitHubApiError } from '../../src/shared/errors.js';
import { type GitHubServer, startGitHubServer } from '../support/github-server/index.js';
import { OpenApiContract } from '../support/github-server/openapi-contract.js';

let server: GitHubServer;
beforeAll(async () => {
  server = await startGitHubServer();
});
afterAll(() => server.stop());

describe('the bot’s identity', () => {
  it('a token that belongs to no user (an installation token): a typed error saying what to use instead, retried next time', async () => {
    const installation = 'ghs_installationFromActions0123456789abcdef';
    server.state.installationTokens.add(installation);
    const { github } = connectGitHub({
      repository: `${server.owner}/${server.repo}`,
      baseUrl: server.baseUrl,
      auth: { kind: 'token', token: installation },
      spaceWrites: false,
    });
    server.state.openPull({ headRef: 'f', headSha: 'a'.repeat(40) });
    const err = await github.findStickyComment(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubApiError);
    expect((err as GitHubApiError).status).toBe(403);
    expect((err as GitHubApiError).hint).toMatch(/belongs to no user.*configure github\.app/);
    expect(String((err as Error).message)).not.toContain(installation);
    // Not cached: the next reconcile asks again.
    await github.botLogin().catch(() => null);
    expect(server.exchanges.filter((e) => e.route === '/user')).toHaveLength(2);
    expect(server.exchanges.flatMap((e) => new OpenApiContract().check(e))).toEqual([]);
  });
});
