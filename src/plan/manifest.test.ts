import { describe, expect, it } from 'vitest';
import { nextManifest, parseManifest, serializeManifest } from './manifest.js';
import type { Manifest, ManifestEntry } from './types.js';

const entry = (key: string): ManifestEntry => ({
  key,
  sha256: 'ab',
  size: 3,
  source: `backtests/${key}.yaml`,
  dag_id: key,
  runs: 2,
  commit: 'c0',
  etag: '"e"',
});

describe('manifest', () => {
  it('serialises one entry per line, sorted, and parses back to the same value', () => {
    const m: Manifest = {
      version: 1,
      generator: 'g',
      commit: 'c1',
      entries: [entry('b.py'), entry('a.py')],
      pending: [{ key: 'z.py', sha256: '1' }],
    };
    const text = serializeManifest(m);
    expect(text.split('\n')[5]).toBe(`    ${JSON.stringify(entry('a.py'))},`);
    const parsed = parseManifest(text);
    expect(parsed).toEqual({ manifest: { ...m, entries: [entry('a.py'), entry('b.py')] } });
    expect(serializeManifest({ ...m, entries: [], pending: [] })).toBe(
      '{\n  "version": 1,\n  "generator": "g",\n  "commit": "c1",\n  "entries": []\n}\n',
    );
  });

  it('rejects documents that are not our manifest', () => {
    expect(parseManifest('nope')).toMatchObject({ problem: expect.stringContaining('not JSON') });
    expect(parseManifest('{"version":2}')).toMatchObject({
      problem: expect.stringContaining('not a backtest-gitops manifest'),
    });
  });

  it('applies a change: upserts, removals, pending added and resolved', () => {
    const base: Manifest = {
      version: 1,
      generator: 'g',
      commit: 'c0',
      entries: [entry('a.py'), entry('b.py')],
    };
    const next = nextManifest(base, {
      generator: 'g2',
      commit: 'c1',
      upsert: [{ ...entry('c.py'), commit: 'c1' }],
      remove: ['a.py'],
      addPending: [
        { key: 'c.py', sha256: 'x' },
        { key: 'd.py', sha256: 'y' },
        { key: 'e.py', sha256: 'z' },
      ],
      resolvePending: ['e.py'],
    });
    expect(next.entries.map((e) => e.key)).toEqual(['b.py', 'c.py']);
    // An announcement stays until resolved, also for owned keys (updates, deletes).
    expect(next.pending).toEqual([
      { key: 'c.py', sha256: 'x' },
      { key: 'd.py', sha256: 'y' },
    ]);
    expect([next.generator, next.commit]).toEqual(['g2', 'c1']);
  });

  it('records the owner and announced deletes, and keeps the owner across changes', () => {
    const owner = {
      repo: 'github.com/org/cfg',
      path: 'backtests',
      environment: 'prod',
      target: 's3://b/dags',
    };
    const m = nextManifest(null, {
      generator: 'g',
      commit: 'c1',
      owner,
      upsert: [entry('a.py')],
      remove: [],
      addPending: [{ key: 'a.py', sha256: null }],
      resolvePending: [],
    });
    const parsed = parseManifest(serializeManifest(m));
    expect(parsed).toEqual({ manifest: m });
    const next = nextManifest(m, {
      generator: 'g',
      commit: 'c2',
      upsert: [],
      remove: [],
      addPending: [],
      resolvePending: ['a.py'],
    });
    expect(next.owner).toEqual(owner);
    expect(next.pending).toBeUndefined();
  });

  it.each([
    ['the manifest itself', '.backtest-gitops/manifest.json'],
    ['a key above the prefix', '../other/dag.py'],
    ['a dot segment', 'a/./b.py'],
    ['an absolute key', '/etc/passwd'],
    ['an empty segment', 'a//b.py'],
    ['a backslash', 'a\\..\\b.py'],
  ])('refuses a manifest whose entries name %s', (_what, key) => {
    const m = serializeManifest({
      version: 1,
      generator: 'g',
      commit: 'c',
      entries: [{ ...entry('a.py'), key }],
    });
    expect(parseManifest(m)).toMatchObject({ problem: expect.stringContaining('not a key we may own') });
    const p = serializeManifest({
      version: 1,
      generator: 'g',
      commit: 'c',
      entries: [],
      pending: [{ key, sha256: null }],
    });
    expect(parseManifest(p)).toMatchObject({ problem: expect.stringContaining('not a key we may own') });
  });
});
