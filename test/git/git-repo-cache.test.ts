import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigRepo, MAX_CONFIG_FILE_BYTES } from '../../src/config/index.js';
import { GitRepoCache, openLocalRepo } from '../../src/git/index.js';
import { childEnv } from '../support/child-env.js';
import { createGitRemote, type GitRemoteFixture } from '../support/github-server/git-fixture.js';
import { startGitHttpServer } from '../support/github-server/git-http-server.js';

let remote: GitRemoteFixture;

beforeAll(() => {
  remote = createGitRemote();
});
afterAll(() => remote.cleanup());

describe('GitRepoCache over a real bare remote', () => {
  it('clones once, reads configs at a SHA without a working tree, fetches PR heads incrementally', async () => {
    const first = remote.commit({
      'backtests/momentum.yaml': 'strategy_class: Momentum\n',
      'backtests/nested/grid.yml': 'strategy_class: Grid\n',
      'backtest-gitops.yaml': 'max_runs_per_dag: 10\n',
      'README.md': '# not a config\n',
    });
    remote.push('main');
    const cache = new GitRepoCache({ childEnv, url: remote.bareDir, cacheDir: join(remote.root, 'cache') });
    await cache.sync();
    expect(cache.branch).toBe('main');
    expect(await cache.defaultBranchSha()).toBe(first);
    expect(readdirSync(join(remote.root, 'cache'))).not.toContain('backtests'); // bare: no checkout
    const files = await cache.readConfigFiles(first);
    expect([...files.keys()]).toEqual([
      'backtest-gitops.yaml',
      'backtests/momentum.yaml',
      'backtests/nested/grid.yml',
    ]);
    expect(files.get('backtests/momentum.yaml')).toBe('strategy_class: Momentum\n');

    const prHead = remote.commit({ 'backtests/new.yaml': 'strategy_class: New\n' }, { branch: 'feature' });
    remote.setPullHead(7, prHead);
    await cache.sync();
    expect(await cache.resolve('refs/remotes/pull/7/head')).toBe(prHead);
    expect(await cache.resolve('7')).toBe(prHead);
    expect(await cache.changedFiles(first, prHead)).toEqual(['backtests/new.yaml']);
    expect((await cache.readConfigFiles(prHead)).get('backtests/new.yaml')).toBe('strategy_class: New\n');
  });

  it('survives a force-push that rewrites the PR head and the default branch', async () => {
    const cache = new GitRepoCache({
      childEnv,
      url: remote.bareDir,
      cacheDir: join(remote.root, 'cache-force'),
    });
    await cache.sync();
    remote.git(['checkout', '--quiet', 'feature']);
    remote.git(['reset', '--quiet', '--hard', 'main']);
    const rewritten = remote.commit(
      { 'backtests/new.yaml': 'strategy_class: Rewritten\n' },
      { branch: 'feature' },
    );
    remote.setPullHead(7, rewritten);
    remote.git(['checkout', '--quiet', 'main']);
    const mainRewritten = remote.commit({ 'backtests/momentum.yaml': 'strategy_class: Amended\n' });
    remote.push('main');
    await cache.sync();
    expect(await cache.resolve('7')).toBe(rewritten);
    expect(await cache.defaultBranchSha()).toBe(mainRewritten);
    expect((await cache.readConfigFiles(rewritten)).get('backtests/new.yaml')).toBe(
      'strategy_class: Rewritten\n',
    );
  });

  it('detects a corrupted cache and re-clones it', async () => {
    const cacheDir = join(remote.root, 'cache-corrupt');
    const head = await (async () => {
      const c = new GitRepoCache({ childEnv, url: remote.bareDir, cacheDir });
      await c.sync();
      return c.defaultBranchSha();
    })();
    // Corrupt every object in the cache (loose objects and packs).
    corruptObjects(join(cacheDir, 'objects'));
    writeFileSync(join(cacheDir, 'left-by-the-old-cache'), '');
    const restarted = new GitRepoCache({ childEnv, url: remote.bareDir, cacheDir });
    await restarted.sync();
    expect(existsSync(join(cacheDir, 'left-by-the-old-cache'))).toBe(false); // re-cloned
    expect(await restarted.defaultBranchSha()).toBe(head);
    expect((await restarted.readConfigFiles(head)).get('backtests/momentum.yaml')).toBe(
      'strategy_class: Amended\n',
    );

    // A cache folder that is not a repository at all is also replaced.
    rmSync(join(cacheDir, 'HEAD'));
    await new GitRepoCache({ childEnv, url: remote.bareDir, cacheDir }).sync();
  });

  it('serialises concurrent syncs and reads while fetching', async () => {
    const cache = new GitRepoCache({
      childEnv,
      url: remote.bareDir,
      cacheDir: join(remote.root, 'cache-concurrent'),
    });
    await Promise.all([cache.sync(), cache.sync(), cache.sync()]);
    const sha = await cache.defaultBranchSha();
    const [files] = await Promise.all([cache.readConfigFiles(sha), cache.sync()]);
    expect(files.has('backtests/momentum.yaml')).toBe(true);
  });

  it('reads a local clone for `pr check` and rejects unknown refs with a clear error', async () => {
    const local = openLocalRepo(remote.workDir, childEnv);
    const sha = await local.resolve('main');
    expect((await local.readConfigFiles(sha)).has('backtests/momentum.yaml')).toBe(true);
    await expect(local.resolve('no-such-branch')).rejects.toThrow(/cannot resolve "no-such-branch"/);
  });
});

describe('oversized and duplicate blobs', () => {
  it('does not load a blob over the config size limit; the loader reports it as too large', async () => {
    const r = createGitRemote();
    try {
      const sha = r.commit({
        'backtests/huge.yaml': `# ${'x'.repeat(MAX_CONFIG_FILE_BYTES + 10)}\n`,
        'backtests/a.yaml': 'same: 1\n',
        'backtests/b.yaml': 'same: 1\n',
      });
      const files = await openLocalRepo(r.workDir, childEnv).readConfigFiles(sha);
      expect(files.get('backtests/a.yaml')).toBe('same: 1\n');
      expect(files.get('backtests/b.yaml')).toBe('same: 1\n');
      const issues = loadConfigRepo(files).issues.filter((i) => i.file === 'backtests/huge.yaml');
      expect(issues.map((i) => i.code)).toEqual(['file-too-large']);
    } finally {
      r.cleanup();
    }
  });
});

describe('readMergedConfigFiles', () => {
  it('applies only the PR changes on top of a default branch that moved on', async () => {
    const r = createGitRemote();
    try {
      r.commit({ 'backtests/a.yaml': 'a: 1\n', 'backtests/old.yaml': 'old: 1\n' });
      r.push('main');
      const head = r.commit(
        { 'backtests/pr.yaml': 'pr: 1\n', 'backtests/old.yaml': null },
        { branch: 'feature' },
      );
      r.setPullHead(1, head);
      r.git(['checkout', '--quiet', 'main']);
      r.commit({ 'backtests/later.yaml': 'later: 1\n', 'backtests/a.yaml': 'a: 2\n' });
      r.push('main');
      const cache = new GitRepoCache({ childEnv, url: r.bareDir, cacheDir: join(r.root, 'cache') });
      await cache.sync();
      const merged = await cache.readMergedConfigFiles(head);
      expect(merged.base).toBe(await cache.defaultBranchSha());
      expect(Object.fromEntries(merged.files)).toEqual({
        'backtests/a.yaml': 'a: 2\n',
        'backtests/later.yaml': 'later: 1\n',
        'backtests/pr.yaml': 'pr: 1\n',
      });
      // Up to date with main: exactly the head tree.
      const current = r.commit({ 'backtests/x.yaml': 'x: 1\n' }, { branch: 'up-to-date', from: 'main' });
      r.setPullHead(2, current);
      const same = await cache.readMergedConfigFiles(current);
      expect(same.files).toEqual(await cache.readConfigFiles(current));
    } finally {
      r.cleanup();
    }
  });
});

describe('HTTPS token auth', () => {
  it('sends the token as a header, never stores it on disk, and redacts it from errors', async () => {
    const token = 'ghs_0123456789abcdefghijABCDEFGHIJ0123';
    const server = await startGitHttpServer(remote.bareDir, token);
    try {
      const cacheDir = join(remote.root, 'cache-https');
      const cache = new GitRepoCache({ childEnv, url: server.url, cacheDir, auth: { token } });
      await cache.sync();
      expect(await cache.defaultBranchSha()).toMatch(/^[0-9a-f]{40}$/);
      expect(server.authHeaders.length).toBeGreaterThan(0);
      expect(readFileSync(join(cacheDir, 'config'), 'utf8')).not.toContain(token);
      expect(readFileSync(join(cacheDir, 'config'), 'utf8')).not.toContain('extraHeader');

      const wrongToken = 'ghs_WRONGWRONGWRONGWRONGWRONGWRONG99';
      const bad = new GitRepoCache({
        childEnv,
        url: server.url,
        cacheDir: join(remote.root, 'cache-bad'),
        auth: { token: wrongToken },
      });
      const err = await bad.sync().then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(err?.name).toBe('GitError');
      expect(String(err?.message)).not.toContain(wrongToken);
      expect(String(err?.message)).not.toContain(
        Buffer.from(`x-access-token:${wrongToken}`).toString('base64'),
      );
    } finally {
      await server.stop();
    }
  });

  it('asks for a fresh token before each fetch (GitHub App installation tokens expire)', async () => {
    const token = 'ghs_rotatingInstallationToken0123456789';
    const server = await startGitHttpServer(remote.bareDir, token);
    try {
      let asked = 0;
      const cache = new GitRepoCache({
        childEnv,
        url: server.url,
        cacheDir: join(remote.root, 'cache-app'),
        auth: {
          getToken: async () => {
            asked += 1;
            return token;
          },
        },
      });
      await cache.sync();
      await cache.sync();
      expect(asked).toBeGreaterThanOrEqual(2);
      expect(await cache.defaultBranchSha()).toMatch(/^[0-9a-f]{40}$/);
    } finally {
      await server.stop();
    }
  });

  it('refuses a remote URL with embedded credentials', () => {
    expect(
      () =>
        new GitRepoCache({
          childEnv,
          url: 'https://x-access-token:secret@github.com/o/r.git',
          cacheDir: '/nonexistent',
        }),
    ).toThrow(/contains credentials/);
  });
});

function corruptObjects(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) corruptObjects(path);
    else if (!entry.name.endsWith('.idx') && !['info', 'packs'].includes(entry.name))
      writeFileSync(path, 'garbage');
  }
}
