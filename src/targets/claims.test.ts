import { describe, expect, it } from 'vitest';
import type { Manifest } from '../plan/types.js';
import { GitError } from '../shared/errors.js';
import { checkClaims, normaliseRepoUrl } from './claims.js';

const owner = {
  repo: 'github.com/acme/configs',
  path: 'backtests',
  environment: 'prod',
  target: 's3://b/dags',
};
const manifest = (commit: string, o = owner): Manifest => ({
  version: 1,
  generator: 'g',
  owner: o,
  commit,
  entries: [],
});
// A line of history: a <- b <- c; x is unrelated.
const parents: Record<string, string | null> = { a: null, b: 'a', c: 'b', x: null };
const isAncestor = async (anc: string, commit: string) => {
  for (let at: string | null | undefined = commit; at; at = parents[at]) if (at === anc) return true;
  return false;
};

describe('normaliseRepoUrl', () => {
  it.each([
    ['https://github.com/acme/configs.git', 'github.com/acme/configs'],
    ['git@github.com:acme/configs.git', 'github.com/acme/configs'],
    ['ssh://git@GitHub.com/acme/configs', 'github.com/acme/configs'],
    ['https://x-access-token:secret@github.com/acme/configs/', 'github.com/acme/configs'],
    ['/srv/git/configs.git', 'file:///srv/git/configs.git'],
  ])('%s → %s', (url, want) => expect(normaliseRepoUrl(url)).toBe(want));
});

describe('checkClaims', () => {
  it('accepts the same owner at the same or a descendant commit, and a manifest without an owner', async () => {
    await checkClaims(manifest('b'), 'b', 's3://b/dags', { owner, isAncestor });
    await checkClaims(manifest('a'), 'c', 's3://b/dags', { owner, isAncestor });
    const { owner: _, ...legacy } = manifest('a');
    await checkClaims(legacy, 'c', 's3://b/dags', { owner, isAncestor });
  });

  it('refuses another owner, naming both', async () => {
    const other = { ...owner, environment: 'staging' };
    await expect(
      checkClaims(manifest('a', other), 'c', 's3://b/dags', { owner, isAncestor }),
    ).rejects.toMatchObject({
      code: 'foreign-owner',
      message: expect.stringContaining(
        'owned by github.com/acme/configs (folder backtests) environment staging, not by github.com/acme/configs (folder backtests) environment prod',
      ),
    });
  });

  it('refuses an older commit (superseded) and an unrelated one, unless forced', async () => {
    await expect(checkClaims(manifest('c'), 'a', 'L', { owner, isAncestor })).rejects.toMatchObject({
      code: 'superseded',
      message: expect.stringContaining('the newer c is already deployed'),
    });
    await expect(checkClaims(manifest('c'), 'x', 'L', { owner, isAncestor })).rejects.toMatchObject({
      code: 'not-descendant',
      message: expect.stringContaining('refusing to deploy x to L: it has c deployed'),
    });
    await checkClaims(manifest('c'), 'x', 'L', { owner, isAncestor, forceCommit: true });
  });

  it('reports a failure of git itself as that failure, not as a commit that does not descend', async () => {
    const broken = async () => {
      throw new GitError('git merge-base failed: fatal: bad object');
    };
    const refused = checkClaims(manifest('c'), 'x', 'L', { owner, isAncestor: broken });
    await expect(refused).rejects.toBeInstanceOf(GitError);
    await expect(refused).rejects.toThrow('git merge-base failed: fatal: bad object');
  });
});
