import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { serializeManifest } from './manifest.js';
import {
  assembleManifest,
  bucketByShard,
  chooseShardCount,
  isGarbageShard,
  keySetHash,
  layoutManifest,
  type ManifestRoot,
  parseManifestDocument,
  parseShard,
  serializeRoot,
  shardKey,
  shardNameOf,
  shardOf,
  shardText,
} from './manifest-shards.js';
import type { Manifest, ManifestEntry } from './types.js';

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

const entry = (i: number, version = 1): ManifestEntry => ({
  key: `bt_${String(i).padStart(4, '0')}.py`,
  sha256: hex(`${i}/${version}`),
  size: 12_000,
  source: `backtests/bt_${i}.yaml`,
  dag_id: `bt_${i}`,
  runs: 9,
  commit: hex('c1').slice(0, 40),
  etag: `"${hex(`${i}/${version}`).slice(0, 32)}"`,
});

const manifest = (entries: ManifestEntry[], extra: Partial<Manifest> = {}): Manifest => ({
  version: 1,
  generator: 'backtest-gitops test',
  owner: { repo: 'github.com/o/r', path: '.', environment: 'prod', target: 's3://b/dags' },
  commit: hex('c1').slice(0, 40),
  entries,
  ...extra,
});

/** Reads every shard back the way a store does, from the texts a layout wrote. */
function readBack(root: ManifestRoot, texts: Map<string, string>) {
  const n = root.shards.length;
  const shards = root.shards.map((name, i) => {
    if (name === null) return [];
    const parsed = parseShard(texts.get(name) ?? '', name, i, n);
    if ('problem' in parsed) throw new Error(parsed.problem);
    return parsed.entries;
  });
  return assembleManifest(root, shards);
}

describe('sharded manifest', () => {
  it('splits entries by key hash and reads back to the same manifest', () => {
    const m = manifest(
      Array.from({ length: 200 }, (_, i) => entry(i)),
      { pending: [{ key: 'x.py', sha256: null }] },
    );
    const { root, writes } = layoutManifest(m, null, 0);
    expect(root.generation).toBe(1);
    expect(root.shards).toHaveLength(8);
    expect(root.entries).toBe(200);
    expect(writes.map((w) => w.name).sort()).toEqual(root.shards.filter((s) => s !== null).sort());
    const doc = parseManifestDocument(serializeRoot(root));
    expect(doc).toEqual({ root });
    const back = readBack(root, new Map(writes.map((w) => [w.name, w.text])));
    expect(back).toEqual({ manifest: m });
  });

  it('one changed entry writes one shard under a new name and keeps every other name', () => {
    const entries = Array.from({ length: 5000 }, (_, i) => entry(i));
    const first = layoutManifest(manifest(entries), null, 0);
    const changed = [...entries];
    changed[1234] = entry(1234, 2);
    const second = layoutManifest(manifest(changed), first.root, first.root.generation);
    expect(second.root.generation).toBe(2);
    expect(second.writes).toHaveLength(1);
    const i = shardOf(entry(1234).key, first.root.shards.length);
    expect(second.writes[0]?.name).toBe(second.root.shards[i]);
    expect(second.writes[0]?.name.startsWith('2-')).toBe(true);
    expect(second.root.shards.filter((s, j) => s !== first.root.shards[j])).toEqual([second.writes[0]?.name]);
    // The bookkeeping for one change at 5,000 entries: the root and one shard stay small.
    expect(first.root.shards).toHaveLength(128);
    // (names and key hashes of 128 shards, 8 a line)
    expect(Buffer.byteLength(serializeRoot(second.root))).toBeLessThan(6_000);
    expect(Buffer.byteLength(second.writes[0]?.text ?? '')).toBeLessThan(24_000);
    expect(Buffer.byteLength(serializeManifest(manifest(changed)))).toBeGreaterThan(1_300_000);
  });

  it('records per shard a key hash that the desired (key, sha256) pairs alone reproduce', () => {
    const entries = Array.from({ length: 300 }, (_, i) => entry(i));
    const { root } = layoutManifest(manifest(entries), null, 0);
    const n = root.shards.length;
    // What a deployer computes from its render: keys and content hashes, any order, no ETags.
    const pairs = entries.map((e) => ({ key: e.key, sha256: e.sha256 })).reverse();
    expect(root.keyHashes).toEqual(bucketByShard(pairs, n).map((b) => (b.length > 0 ? keySetHash(b) : null)));
    expect(keySetHash([{ key: 'a.py', sha256: 'x' }])).not.toBe(keySetHash([{ key: 'a.py', sha256: 'y' }]));
    expect(parseManifestDocument(serializeRoot(root))).toEqual({ root });
    // A root whose hashes do not line up with its shards is refused.
    const bad = { ...root, keyHashes: root.keyHashes?.slice(1) };
    expect(parseManifestDocument(JSON.stringify(bad))).toMatchObject({
      problem: expect.stringContaining('keyHashes'),
    });
    // An unread shard keeps its name and hash without being laid out again.
    const changed = entries.map((e, i) => (i === 0 ? entry(0, 2) : e));
    const keep = new Set(root.shards.map((_, i) => i).filter((i) => i !== shardOf(entries[0]?.key ?? '', n)));
    const next = layoutManifest(manifest(changed), root, root.generation, keep);
    expect(next.writes).toHaveLength(1);
    expect(next.root.keyHashes?.filter((h, i) => h !== root.keyHashes?.[i])).toHaveLength(1);
  });

  it('keeps the shard count within a range, so one config near a boundary does not rewrite all', () => {
    expect(chooseShardCount(0, null)).toBe(1);
    expect(chooseShardCount(48, null)).toBe(1);
    expect(chooseShardCount(49, null)).toBe(2);
    expect(chooseShardCount(5000, null)).toBe(128);
    expect(chooseShardCount(5001, 128)).toBe(128);
    expect(chooseShardCount(90, 1)).toBe(1);
    expect(chooseShardCount(97, 1)).toBe(4);
    expect(chooseShardCount(1000, 128)).toBe(32);
  });

  it('refuses a shard that does not match its name, its place, or names a key we may not own', () => {
    const e = entry(1);
    const text = shardText(0, 1, [e]);
    const name = `3-${hex(text).slice(0, 16)}`;
    expect(parseShard(text, name, 0, 1)).toEqual({ entries: [e] });
    expect(parseShard(`${text} `, name, 0, 1)).toEqual({
      problem: expect.stringContaining('does not match'),
    });
    const forge = (entries: ManifestEntry[], index = 0, n = 1) => {
      const t = shardText(index, n, entries);
      return parseShard(t, `3-${hex(t).slice(0, 16)}`, index, n);
    };
    expect(forge([{ ...e, key: '../other/alpha.py' }])).toEqual({
      problem: expect.stringContaining('not a key we may own'),
    });
    expect(forge([{ ...e, key: '.backtest-gitops/manifest.json' }])).toEqual({
      problem: expect.stringContaining("the controller's own bookkeeping"),
    });
    const n = 4;
    const home = shardOf(e.key, n);
    expect(forge([e], (home + 1) % n, n)).toEqual({
      problem: expect.stringContaining('belongs to another shard'),
    });
    expect(forge([e, e], home, n)).toEqual({ problem: expect.stringContaining('twice') });
    expect(parseShard(text, name, 0, 2)).toEqual({ problem: expect.stringContaining('not 0 of 2') });
  });

  it('reads a single-file manifest (version 1) as it is, and refuses what is neither', () => {
    const m = manifest([entry(1), entry(2)]);
    expect(parseManifestDocument(serializeManifest(m))).toEqual({ manifest: m });
    expect(parseManifestDocument('{"version":2,"shards":[]}')).toEqual({
      problem: expect.stringContaining('not a backtest-gitops manifest'),
    });
    expect(parseManifestDocument('{"version":3}')).toEqual({
      problem: expect.stringContaining('not a backtest-gitops manifest'),
    });
    const { root } = layoutManifest(m, null, 0);
    expect(assembleManifest({ ...root, entries: 3 }, [[entry(1), entry(2)]])).toEqual({
      problem: 'its shards list 2 entries, the root says 3',
    });
  });

  it('calls a shard garbage only when no later root can name it', () => {
    const root: ManifestRoot = {
      version: 2,
      generator: 'g',
      commit: 'c',
      generation: 7,
      entries: 2,
      shards: ['5-0123456789abcdef', '7-fedcba9876543210'],
    };
    expect(isGarbageShard('5-0123456789abcdef', root)).toBe(false); // named
    expect(isGarbageShard('6-0123456789abcdef', root)).toBe(true); // replaced, or a lost race
    expect(isGarbageShard('7-1111111111111111', root)).toBe(true); // a writer that lost generation 7
    expect(isGarbageShard('8-1111111111111111', root)).toBe(false); // a write still under way
    expect(shardNameOf(shardKey('8-1111111111111111'))).toBe('8-1111111111111111');
    expect(shardNameOf('.backtest-gitops/manifest.json')).toBeNull();
  });
});
