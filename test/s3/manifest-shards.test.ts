import { gzipSync } from 'node:zlib';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_KEY, serializeManifest } from '../../src/plan/manifest.js';
import {
  bucketByShard,
  keySetHash,
  SHARD_PREFIX,
  shardGeneration,
  shardKey,
  shardOf,
  shardText,
} from '../../src/plan/manifest-shards.js';
import type { DesiredFile, Manifest, ManifestEntry } from '../../src/plan/types.js';
import { ManifestConflictError } from '../../src/shared/errors.js';
import { S3DagStore } from '../../src/targets/s3-dag-store.js';
import { type FaultProxy, type ProxiedRequest, startFaultProxy } from '../support/fault-proxy.js';
import { type MotoServer, motoS3Client, startMoto } from '../support/moto.js';
import {
  createBucket,
  dagFile,
  dagSet,
  expectConverged,
  manifestAt,
  readObject,
  sha256,
  shardsAt,
  sync,
} from './helpers.js';

/**
 * The manifest split into a root and immutable shards (src/plan/manifest-shards.ts) on a real
 * S3 API (moto) behind the counting proxy: what one change costs at 5,000 configs, migration
 * from the single-file manifest, refusal of forged shards, and garbage collection.
 */
const BUCKET = 'shard-dags';
let moto: MotoServer;
let proxy: FaultProxy;
let direct: S3Client;
let viaProxy: S3Client;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy({ upstream: moto.endpoint });
  direct = motoS3Client(moto.endpoint);
  viaProxy = motoS3Client(proxy.endpoint);
  await createBucket(direct, BUCKET);
});
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

const store = (prefix: string, client = viaProxy) => new S3DagStore({ client, bucket: BUCKET, prefix });
const names = (n: number, p = 'bt') =>
  Array.from({ length: n }, (_, i) => `${p}_${String(i).padStart(4, '0')}`);

function entryOf(f: DesiredFile, etag: string): ManifestEntry {
  const size = Buffer.byteLength(f.content);
  return {
    key: f.key,
    sha256: f.sha256,
    size,
    source: f.source,
    dag_id: f.dag_id,
    runs: f.runs,
    commit: 'c1',
    etag,
  };
}

/** Requests, bytes up and bytes down since `mark`, split into DAG objects and bookkeeping. */
function cost(mark: number) {
  const seen = proxy.log.slice(mark);
  const book = (r: ProxiedRequest) => r.kind === 'manifest' || r.kind === 'shard';
  const sum = (rs: ProxiedRequest[], f: (r: ProxiedRequest) => number) => rs.reduce((a, r) => a + f(r), 0);
  return {
    counts: proxy.counts(mark),
    bookUp: sum(seen.filter(book), (r) => r.bytes),
    bookDown: sum(seen.filter(book), (r) => r.responseBytes),
    objectPuts: seen.filter((r) => r.kind === 'object' && r.method === 'PUT').length,
  };
}

describe('sharded manifest on S3', () => {
  it('one changed config at 5,000 = 1 DAG PUT and < 16 KB of bookkeeping each way (the single file was 1.4 MB)', async () => {
    const prefix = 'large';
    // A deployed 5,000-config target: the manifest lists them all; only the DAG that will
    // change is needed as an object (nothing reads the others on this path).
    const desired = dagSet(names(5000), 1).map((f, i) => (i === 1234 ? dagFile('bt_1234', 1, 12_000) : f));
    const live = desired[1234] as DesiredFile;
    const put = await direct.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${live.key}`, Body: live.content }),
    );
    const m: Manifest = {
      version: 1,
      generator: 'test',
      commit: 'c1',
      entries: desired.map((f) =>
        entryOf(f, f === live ? (put.ETag ?? '') : `"${sha256(f.key).slice(0, 32)}"`),
      ),
    };
    const single = Buffer.byteLength(serializeManifest(m));
    expect(single).toBeGreaterThan(1_000_000);
    await store(prefix, direct).writeManifest(m, null);

    // The controller: one store for its whole life; its first read downloads every shard once.
    const controller = store(prefix);
    let mark = proxy.log.length;
    expect((await controller.readManifest())?.manifest.entries).toHaveLength(5000);
    const first = cost(mark);
    expect(first.counts).toEqual({ 'GET manifest': 1, 'GET shard': 128 });

    const change = [...desired];
    change[1234] = dagFile('bt_1234', 2, 12_000);
    mark = proxy.log.length;
    const r = await sync(controller, change, { commit: 'c2' });
    expect(r.ok).toBe(true);
    const one = cost(mark);
    // Read the root; announce; write the DAG; write its shard; commit the root; drop the old shard.
    expect(one.counts).toEqual({
      'GET manifest': 1,
      'PUT manifest': 2,
      'PUT object': 1,
      'PUT shard': 1,
      'DELETE shard': 1,
    });
    expect(one.objectPuts).toBe(1);
    expect(one.bookUp).toBeLessThan(16_000);
    expect(one.bookDown).toBeLessThan(16_000);

    // A fresh process (the CLI) has no shards in memory, but knows what it renders: every
    // shard whose recorded key hash equals the hash of the desired files in it lists exactly
    // those keys and contents, so it downloads the root and the one shard that differs.
    change[1234] = dagFile('bt_1234', 3, 12_000);
    const changedShard = shardOf(live.key, 128);
    const rootBefore = JSON.parse(await readObject(direct, BUCKET, `${prefix}/${MANIFEST_KEY}`));
    mark = proxy.log.length;
    expect((await sync(store(prefix), change, { commit: 'c3' })).ok).toBe(true);
    const cli = cost(mark);
    expect(cli.counts).toEqual({
      'GET manifest': 1,
      'GET shard': 1,
      'PUT manifest': 2,
      'PUT object': 1,
      'PUT shard': 1,
      'DELETE shard': 1,
    });
    const shardGets = proxy.log.slice(mark).filter((r) => r.kind === 'shard' && r.method === 'GET');
    expect(shardGets.map((r) => r.key)).toEqual([`${prefix}/${shardKey(rootBefore.shards[changedShard])}`]);
    expect(cli.objectPuts).toBe(1);
    expect(cli.bookUp).toBeLessThan(16_000);
    expect(cli.bookDown).toBeLessThan(16_000);

    // What it recorded is what a full read finds: every other entry kept as it was (ETags
    // included: their shards were kept by name, never rewritten from the stand-ins).
    const after = await manifestAt(direct, BUCKET, prefix);
    expect(after?.entries).toEqual(
      m.entries.map((e) =>
        e.key === live.key
          ? { ...entryOf(change[1234] as DesiredFile, after?.entries[1234]?.etag ?? ''), commit: 'c3' }
          : e,
      ),
    );
    const rootAfter = JSON.parse(await readObject(direct, BUCKET, `${prefix}/${MANIFEST_KEY}`));
    expect(rootAfter.shards.filter((n: string, i: number) => n !== rootBefore.shards[i])).toHaveLength(1);
    expect(rootAfter.keyHashes).toEqual(
      bucketByShard(change, 128).map((files) => (files.length > 0 ? keySetHash(files) : null)),
    );
    const shards = await shardsAt(direct, BUCKET, prefix);
    expect(shards.stored).toEqual(shards.named);
    console.log(
      `one change at 5,000 configs: single-file manifest ${single} B each way; sharded, controller: ${one.bookUp} B up, ${one.bookDown} B down; fresh process: ${cli.bookUp} B up, ${cli.bookDown} B down (1 shard GET)`,
    );

    // A delete and a rename (delete + create), again from fresh processes: only the shards
    // the changed keys fall in are read.
    const gone = change[7] as DesiredFile;
    const renamedFrom = change[100] as DesiredFile;
    const renamedTo = dagFile('bt_9100', 1);
    const next = change.filter((f) => f !== gone && f !== renamedFrom).concat(renamedTo);
    mark = proxy.log.length;
    const r2 = await sync(store(prefix), next, { commit: 'c4' });
    expect(r2.ok).toBe(true);
    expect([r2.writes, r2.deletes]).toEqual([1, 2]);
    const touched = new Set([gone, renamedFrom, renamedTo].map((f) => shardOf(f.key, 128)));
    const rename = cost(mark);
    expect(rename.counts['GET shard']).toBe(touched.size);
    expect(rename.counts['GET manifest']).toBe(1);
    expect(rename.objectPuts).toBe(1);
    expect(rename.bookDown).toBeLessThan(16_000);
    expect(rename.bookUp).toBeLessThan(24_000);
    const renamed = await manifestAt(direct, BUCKET, prefix);
    expect(renamed?.entries.map((e) => e.key)).toEqual(next.map((f) => f.key).sort());
    const keptEntry = m.entries[4000] as ManifestEntry;
    expect(renamed?.entries.find((e) => e.key === keptEntry.key)).toEqual(keptEntry);
    const finalShards = await shardsAt(direct, BUCKET, prefix);
    expect(finalShards.stored).toEqual(finalShards.named);
  });

  it('a forged key hash never makes apply write or delete: a downloaded shard that does not match it is manifest-corrupt, and one that hides a change is found by the drift check', async () => {
    const prefix = 'forged-hash';
    const v1 = dagSet(names(150), 1);
    await sync(store(prefix), v1);
    const root = JSON.parse(await readObject(direct, BUCKET, `${prefix}/${MANIFEST_KEY}`));
    const n = root.shards.length as number;
    expect(n).toBe(4);
    const target = v1[10] as DesiredFile;
    const i = shardOf(target.key, n);
    const v2 = v1.map((f) => (f === target ? dagFile('bt_0010', 2) : f));
    const forge = async (hash: string) =>
      direct.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `${prefix}/${MANIFEST_KEY}`,
          Body: JSON.stringify({
            ...root,
            keyHashes: root.keyHashes.map((h: string, j: number) => (j === i ? hash : h)),
          }),
        }),
      );
    const untouched = async () => {
      for (const f of v1) expect(await readObject(direct, BUCKET, `${prefix}/${f.key}`)).toBe(f.content);
    };

    // A hash that matches neither the shard nor the render: the shard is downloaded (its
    // hash differs from the render's) and refused.
    await forge('0123456789abcdef');
    let mark = proxy.log.length;
    await expect(sync(store(prefix), v2)).rejects.toMatchObject({
      code: 'manifest-corrupt',
      message: expect.stringContaining('key hash'),
    });
    expect(cost(mark).objectPuts).toBe(0);
    expect(cost(mark).counts['PUT manifest']).toBeUndefined();
    await untouched();

    // A hash forged to equal the render's hides the change from a plan without drift check:
    // the key plans as unchanged, which makes no request (nothing is written or deleted) ...
    await forge(keySetHash(bucketByShard(v2, n)[i] ?? []));
    mark = proxy.log.length;
    const hidden = await sync(store(prefix), v2);
    expect(hidden.ok).toBe(true);
    expect([hidden.writes, hidden.deletes]).toEqual([0, 0]);
    expect(cost(mark).counts['PUT object']).toBeUndefined();
    expect(cost(mark).counts['DELETE object']).toBeUndefined();
    await untouched();
    // ... and a drift check, which reads every shard against its recorded hash, reports it.
    await expect(sync(store(prefix), v2, { drift: 'report' })).rejects.toMatchObject({
      code: 'manifest-corrupt',
    });
    // A change to another key of that shard makes its hash differ again: read, refused.
    const other = bucketByShard(v2, n)[i]?.find((f) => f.key !== target.key) as DesiredFile;
    const v3 = v2.map((f) => (f === other ? dagFile(other.dag_id ?? '', 2) : f));
    await expect(sync(store(prefix), v3)).rejects.toMatchObject({ code: 'manifest-corrupt' });
    await untouched();
  });

  it('a root written before key hashes is read whole, and the next write adds them', async () => {
    const prefix = 'no-key-hashes';
    const v1 = dagSet(names(150), 1);
    await sync(store(prefix), v1);
    const root = JSON.parse(await readObject(direct, BUCKET, `${prefix}/${MANIFEST_KEY}`));
    const { keyHashes: _dropped, ...older } = root;
    await direct.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${MANIFEST_KEY}`, Body: JSON.stringify(older) }),
    );
    const v2 = v1.map((f, i) => (i === 3 ? dagFile('bt_0003', 2) : f));
    let mark = proxy.log.length;
    expect((await sync(store(prefix), v2, { commit: 'c2' })).ok).toBe(true);
    expect(cost(mark).counts['GET shard']).toBe(4);
    const written = JSON.parse(await readObject(direct, BUCKET, `${prefix}/${MANIFEST_KEY}`));
    expect(written.keyHashes).toEqual(bucketByShard(v2, 4).map((f) => keySetHash(f)));
    const v3 = v2.map((f, i) => (i === 5 ? dagFile('bt_0005', 2) : f));
    mark = proxy.log.length;
    expect((await sync(store(prefix), v3, { commit: 'c3' })).ok).toBe(true);
    expect(cost(mark).counts['GET shard']).toBe(1);
    await expectConverged(direct, BUCKET, prefix, store(prefix), v3);
  });

  it('reads a single-file manifest and replaces it by a root and shards on the next write', async () => {
    const prefix = 'migrate';
    const v1 = dagSet(names(60), 1);
    const etags = new Map<string, string>();
    for (const f of v1) {
      const out = await direct.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${f.key}`, Body: f.content }),
      );
      etags.set(f.key, out.ETag ?? '');
    }
    const old: Manifest = {
      version: 1,
      generator: 'backtest-gitops 0.1',
      owner: { repo: 'github.com/o/r', path: '.', environment: null, target: `s3://${BUCKET}/${prefix}` },
      commit: 'c1',
      entries: v1.map((f) => entryOf(f, etags.get(f.key) ?? '')),
    };
    await direct.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${prefix}/${MANIFEST_KEY}`,
        Body: serializeManifest(old),
      }),
    );
    const s = store(prefix);
    expect((await s.readManifest())?.manifest).toEqual(old);
    const v2 = [...v1.slice(0, 59), dagFile('bt_0059', 2)];
    const r = await sync(s, v2, { commit: 'c2' });
    expect(r.ok).toBe(true);
    expect(r.writes).toBe(1);
    const root = JSON.parse(await readObject(direct, BUCKET, `${prefix}/${MANIFEST_KEY}`));
    expect(root).toMatchObject({ version: 2, generation: 2, entries: 60, owner: old.owner, commit: 'c2' });
    expect(root.shards).toHaveLength(2);
    await expectConverged(direct, BUCKET, prefix, store(prefix), v2);
    const shards = await shardsAt(direct, BUCKET, prefix);
    expect(shards.stored).toEqual(shards.named);
  });

  it('refuses a forged shard (a key outside the prefix) and deletes nothing', async () => {
    const prefix = 'forged-shard';
    const v1 = dagSet(names(10), 1);
    await sync(store(prefix), v1);
    const root = JSON.parse(await readObject(direct, BUCKET, `${prefix}/${MANIFEST_KEY}`));
    const named = await manifestAt(direct, BUCKET, prefix);
    const bad = [
      ...(named?.entries ?? []),
      { ...(named?.entries[0] as ManifestEntry), key: '../owned/x.py' },
    ];
    const text = shardText(0, 1, bad);
    const name = `${root.generation}-${sha256(text).slice(0, 16)}`;
    await direct.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${shardKey(name)}`, Body: gzipSync(text) }),
    );
    await direct.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${prefix}/${MANIFEST_KEY}`,
        Body: JSON.stringify({ ...root, entries: 11, shards: [name] }),
      }),
    );
    expect(shardOf('../owned/x.py', 1)).toBe(0);
    await expect(store(prefix).readManifest()).rejects.toMatchObject({
      code: 'manifest-corrupt',
      message: expect.stringContaining('not a key we may own'),
    });
    await expect(sync(store(prefix), v1.slice(0, 5), { allowMassDelete: true })).rejects.toMatchObject({
      code: 'manifest-corrupt',
    });
    for (const f of v1) expect(await readObject(direct, BUCKET, `${prefix}/${f.key}`)).toBe(f.content);
    // A root naming a shard that is not there is damage too, not an empty list.
    await direct.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${prefix}/${MANIFEST_KEY}`,
        Body: JSON.stringify({ ...root, shards: [`${root.generation}-0000000000000000`] }),
      }),
    );
    await expect(store(prefix).readManifest()).rejects.toMatchObject({
      code: 'manifest-corrupt',
      message: expect.stringContaining('a shard that does not exist'),
    });
  });

  it('a reader whose shard was replaced and deleted under it reads the new root again', async () => {
    const prefix = 'reader-race';
    await sync(store(prefix), dagSet(names(200), 1));
    const writer = store(prefix, direct);
    const seen = await writer.readManifest();
    const m = seen?.manifest as Manifest;
    const changed = {
      ...m,
      entries: m.entries.map((e, i) => (i === 5 ? { ...e, sha256: 'c'.repeat(64) } : e)),
    };
    const root = JSON.parse(await readObject(direct, BUCKET, `${prefix}/${MANIFEST_KEY}`));
    const doomed = root.shards[shardOf(m.entries[5]?.key ?? '', root.shards.length)] as string;
    // The reader's GET of the shard the writer replaces waits until the writer has committed
    // and deleted it: the reader gets a 404 for a shard its root named.
    let raced = 0;
    const racing = {
      send: async (command: { input: { Key?: string } }) => {
        if (command.input.Key === `${prefix}/${shardKey(doomed)}` && raced++ === 0)
          await writer.writeManifest(changed, seen?.version ?? null);
        return direct.send(command as never);
      },
    } as unknown as S3Client;
    const got = await store(prefix, racing).readManifest();
    expect(raced).toBeGreaterThan(0);
    expect(got?.manifest).toEqual(changed);
    const shards = await shardsAt(direct, BUCKET, prefix);
    expect(shards.named).not.toContain(doomed);
    expect(shards.stored).toEqual(shards.named);
  });

  it('a writer that lost the race leaves shards no root names; its next write sweeps them, never a named one', async () => {
    const prefix = 'garbage';
    const base = dagSet(names(100), 1);
    await sync(store(prefix), base);
    const a = store(prefix);
    const b = store(prefix);
    const seen = await a.readManifest();
    await b.readManifest();
    const ma = { ...(seen?.manifest as Manifest), commit: 'ca' };
    ma.entries = ma.entries.map((e, i) => (i === 3 ? { ...e, sha256: 'a'.repeat(64) } : e));
    const mb = {
      ...ma,
      commit: 'cb',
      entries: ma.entries.map((e, i) => (i === 7 ? { ...e, sha256: 'b'.repeat(64) } : e)),
    };
    const va = await a.writeManifest(ma, seen?.version ?? null);
    await expect(b.writeManifest(mb, seen?.version ?? null)).rejects.toBeInstanceOf(ManifestConflictError);
    let shards = await shardsAt(direct, BUCKET, prefix);
    const orphans = shards.stored.filter((n) => !shards.named.includes(n));
    expect(orphans.length).toBeGreaterThan(0);
    // b re-reads (as apply does after a conflict) and writes: the orphans go, named shards stay.
    const again = await b.readManifest();
    expect(again?.version).toBe(va);
    await b.writeManifest({ ...mb, entries: again?.manifest.entries ?? [] }, va);
    shards = await shardsAt(direct, BUCKET, prefix);
    expect(shards.stored).toEqual(shards.named);
    expect((await manifestAt(direct, BUCKET, prefix))?.entries[3]?.sha256).toBe('a'.repeat(64));

    // Garbage with nobody left to sweep it (a writer killed after its shard PUT, or while
    // deleting the shard it replaced) is seen by a drift check's LIST, which writes nothing
    // (it is part of a plan), and deleted by the apply that follows, at no extra LIST.
    await direct.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${shardKey('1-00000000000000ff')}`, Body: 'x' }),
    );
    const c = store(prefix);
    await c.readManifest();
    await c.stat(base.map((f) => f.key));
    expect((await shardsAt(direct, BUCKET, prefix)).stored).toContain('1-00000000000000ff');
    // What apply calls after its writes (crash.test.ts runs it through apply):
    const mark = proxy.log.length;
    expect(await c.collectGarbage()).toBe(1);
    expect(proxy.counts(mark)).toEqual({ 'DELETE shard': 1 });
    shards = await shardsAt(direct, BUCKET, prefix);
    expect(shards.stored).toEqual(shards.named);
  });

  it('a root written over a manifest deleted by hand continues above the generations of the shards it left', async () => {
    const prefix = 'deleted-root';
    await sync(store(prefix), dagSet(names(150), 1), { commit: 'c1' });
    await sync(store(prefix), dagSet(names(150), 2), { commit: 'c2' });
    const kept = (await store(prefix).readManifest())?.manifest as Manifest;
    // Only the root is deleted: its shards stay in the bucket.
    const left = (await shardsAt(direct, BUCKET, prefix)).stored;
    expect(left.length).toBeGreaterThan(0);
    await direct.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${MANIFEST_KEY}` }));
    // Someone who can write the bucket leaves a shard-like name at the 15-digit limit: it must
    // not push the new root's generation past what a shard name can hold.
    const forged = `${'9'.repeat(15)}-${'0'.repeat(16)}`;
    await direct.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${shardKey(forged)}`, Body: 'not a shard' }),
    );

    await store(prefix).writeManifest(kept, null);
    const after = JSON.parse(await readObject(direct, BUCKET, `${prefix}/${MANIFEST_KEY}`));
    // Generations only grow: every shard the new root names is newer than every shard left,
    // so nothing judges them by an older root's generation.
    expect(after.generation).toBe(Math.max(...left.map(shardGeneration)) + 1);
    for (const n of after.shards as string[]) expect(shardGeneration(n)).toBe(after.generation);
    expect((await store(prefix).readManifest())?.manifest.entries).toEqual(kept.entries);
  });

  it('garbage a LIST noted against an older root is judged again before deletion: a shard a newer root names stays', async () => {
    const prefix = 'deleted-bookkeeping';
    const v1 = dagSet(names(150), 1);
    await sync(store(prefix), v1, { commit: 'c1' });
    await sync(store(prefix), dagSet(names(150), 2), { commit: 'c2' });
    const kept = (await store(prefix).readManifest())?.manifest as Manifest;
    // A long-lived process (the controller) holds the root of that time (generation 4: two writes per apply).
    const stale = store(prefix);
    await stale.readManifest();
    // Someone deletes the whole bookkeeping folder; another process writes a fresh root, which
    // (nothing listed) starts again at generation 1.
    for (const n of (await shardsAt(direct, BUCKET, prefix)).stored)
      await direct.send(
        new DeleteObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${SHARD_PREFIX}${n}.json.gz` }),
      );
    await direct.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${MANIFEST_KEY}` }));
    await store(prefix).writeManifest(kept, null);
    const fresh = JSON.parse(await readObject(direct, BUCKET, `${prefix}/${MANIFEST_KEY}`));
    expect(fresh.generation).toBe(1);
    // The stale process's drift check LISTs: judged against its generation-4 root, the new
    // root's generation-1 shards look like garbage.
    await stale.stat(kept.entries.map((e) => e.key));
    // Its next apply reads the new root, changes one DAG (the other shards are reused as
    // they are) and sweeps: the shards the committed root names must survive.
    const v3 = dagSet(names(150), 2).map((f, i) => (i === 7 ? dagFile(names(150)[7] as string, 3) : f));
    expect((await sync(stale, v3, { commit: 'c3' })).ok).toBe(true);
    const shards = await shardsAt(direct, BUCKET, prefix);
    expect(shards.named.some((n) => shardGeneration(n) === 1)).toBe(true); // reused, so at risk
    expect(shards.stored).toEqual(shards.named);
    await expectConverged(direct, BUCKET, prefix, store(prefix), v3);
  });
});
