import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Manifest } from '../plan/types.js';
import { ManifestConflictError, TargetError } from '../shared/errors.js';
import { LocalDirDagStore } from './local-dir-dag-store.js';

const meta = { sha256: 'x', source: null, commit: 'c' };
const manifest = (commit: string): Manifest => ({ version: 1, generator: 't', commit, entries: [] });

describe('LocalDirDagStore', () => {
  let dir: string;
  let store: LocalDirDagStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'btg-local-'));
    store = new LocalDirDagStore(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes the manifest conditionally on its sha256', async () => {
    expect(await store.readManifest()).toBeNull();
    const v1 = await store.writeManifest(manifest('a'), null);
    await expect(store.writeManifest(manifest('b'), null)).rejects.toBeInstanceOf(ManifestConflictError);
    const v2 = await store.writeManifest(manifest('b'), v1);
    await expect(store.writeManifest(manifest('c'), v1)).rejects.toBeInstanceOf(ManifestConflictError);
    expect(await store.readManifest()).toEqual({ manifest: manifest('b'), version: v2 });
    expect(await readdir(join(dir, '.backtest-gitops'))).toEqual(['manifest.json']);
  });

  it('keeps the render digest in a sidecar that counts only for the manifest it was written with', async () => {
    const d = 'd'.repeat(64);
    expect(await store.headManifest()).toBeNull();
    const v1 = await store.writeManifest(manifest('a'), null, d);
    expect(await store.headManifest()).toEqual({ version: v1, digest: d });
    expect(await store.readManifest()).toEqual({ manifest: manifest('a'), version: v1, digest: d });
    // Something pending: no digest, whatever the caller passed.
    const pending = { ...manifest('b'), pending: [{ key: 'a.py', sha256: null }] };
    const v2 = await store.writeManifest(pending, v1, d);
    expect(await store.headManifest()).toEqual({ version: v2, digest: null });
    const v3 = await store.writeManifest(manifest('c'), v2, d);
    // A hand edit of the manifest (or a crash between the two writes) leaves a sidecar that no longer counts.
    await writeFile(
      join(dir, '.backtest-gitops/manifest.json'),
      `${await readFile(join(dir, '.backtest-gitops/manifest.json'), 'utf8')} `,
    );
    expect((await store.headManifest())?.digest).toBeNull();
    expect(v3).not.toBe(v2);
  });

  it('lets exactly one of many concurrent writers win the same version', async () => {
    const v1 = await store.writeManifest(manifest('a'), null);
    const others = Array.from({ length: 8 }, () => new LocalDirDagStore(dir));
    const results = await Promise.allSettled(others.map((s, i) => s.writeManifest(manifest(`w${i}`), v1)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('creates without replacing an existing file, and replaces only at the expected version', async () => {
    await writeFile(join(dir, 'theirs.py'), 'theirs');
    await expect(store.put('theirs.py', 'ours', meta, { mode: 'create' })).rejects.toMatchObject({
      code: 'unowned-conflict',
    });
    expect(await readFile(join(dir, 'theirs.py'), 'utf8')).toBe('theirs');
    const v = await store.put('sub/ours.py', 'v1', meta, { mode: 'create' });
    await expect(
      store.put('sub/ours.py', 'v2', meta, { mode: 'replace', etag: 'nope' }),
    ).rejects.toMatchObject({
      code: 'drift',
    });
    await store.put('sub/ours.py', 'v2', meta, { mode: 'replace', etag: v });
    expect(await store.get('sub/ours.py')).toBe('v2');
    expect((await store.stat(['sub/ours.py', 'missing.py'])).size).toBe(1);
    expect((await readdir(join(dir, 'sub'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await store.delete('sub/ours.py');
    await store.delete('sub/ours.py');
    expect(await store.get('sub/ours.py')).toBeNull();
  });

  it('reports a target that is a file, not a folder, as a TargetError naming it', async () => {
    await writeFile(join(dir, 'README.md'), 'not a folder');
    const onFile = new LocalDirDagStore(join(dir, 'README.md'), 'README.md');
    const err = await onFile.readManifest().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TargetError);
    expect(err).toMatchObject({ code: 'io', message: expect.stringContaining('ENOTDIR') });
    await expect(onFile.stat(['a.py'])).rejects.toBeInstanceOf(TargetError);
    await expect(onFile.writeManifest(manifest('a'), null)).rejects.toBeInstanceOf(TargetError);
    await expect(onFile.put('a.py', 'x', meta, { mode: 'create' })).rejects.toBeInstanceOf(TargetError);
  });

  it('refuses keys that leave the folder', async () => {
    await expect(store.put('../x.py', 'x', meta, { mode: 'adopt' })).rejects.toBeInstanceOf(TargetError);
  });

  it('takes over a lock left by a dead process', async () => {
    await store.writeManifest(manifest('a'), null);
    await writeFile(join(dir, '.backtest-gitops/manifest.json.lock'), '999999');
    const current = await store.readManifest();
    await store.writeManifest(manifest('b'), current?.version ?? null);
    expect((await store.readManifest())?.manifest.commit).toBe('b');
  });
});
