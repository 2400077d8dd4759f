import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planSync } from '../../src/plan/plan-sync.js';
import { ManifestConflictError, SafetyError } from '../../src/shared/errors.js';
import { S3DagStore } from '../../src/targets/s3-dag-store.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { type MotoServer, motoS3Client, startMoto } from '../support/moto.js';
import { createBucket, dagFile, dagSet, expectConverged, listBucket, readObject, sync } from './helpers.js';

const BUCKET = 'mwaa-dags';
let moto: MotoServer;
let proxy: FaultProxy;
let direct: S3Client;

/** A client that goes through the proxy, with the SDK's standard retries. */
const proxied = (maxAttempts = 3) => motoS3Client(proxy.endpoint, { maxAttempts });

const store = (prefix: string, client = proxied()) => new S3DagStore({ client, bucket: BUCKET, prefix });
const names = (n: number, p = 'dag') =>
  Array.from({ length: n }, (_, i) => `${p}_${String(i).padStart(3, '0')}`);

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy({ upstream: moto.endpoint, seed: 42 });
  direct = motoS3Client(moto.endpoint);
  await createBucket(direct, BUCKET);
});
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

describe('S3DagStore against moto', () => {
  it('enforces If-None-Match / If-Match on the manifest and on objects (moto 5.1 honours both on PutObject)', async () => {
    const s = store('cond');
    const m = { version: 1 as const, generator: 't', commit: 'a', entries: [] };
    const v1 = await s.writeManifest(m, null);
    await expect(s.writeManifest(m, null)).rejects.toBeInstanceOf(ManifestConflictError);
    const v2 = await s.writeManifest({ ...m, commit: 'b' }, v1);
    await expect(s.writeManifest(m, v1)).rejects.toBeInstanceOf(ManifestConflictError);
    expect((await s.readManifest())?.version).toBe(v2);

    const meta = { sha256: 'abc', source: 'backtests/é.yaml', commit: 'c1' };
    const e1 = await s.put('a.py', 'one', meta, { mode: 'create' });
    await expect(s.put('a.py', 'two', meta, { mode: 'create' })).rejects.toMatchObject({
      code: 'unowned-conflict',
    });
    await expect(s.put('a.py', 'two', meta, { mode: 'replace', etag: '"0000"' })).rejects.toMatchObject({
      code: 'drift',
    });
    await s.put('a.py', 'two', meta, { mode: 'replace', etag: e1 });
    expect(await readObject(direct, BUCKET, 'cond/a.py')).toBe('two');
    const head = await direct.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'cond/a.py' }));
    expect(head.ContentType).toBe('text/x-python');
    expect(head.Metadata).toEqual({
      sha256: 'abc',
      commit: 'c1',
      source: encodeURIComponent('backtests/é.yaml'),
    });
  });

  it('sets SSE-KMS when a key is configured', async () => {
    const s = new S3DagStore({ client: proxied(), bucket: BUCKET, prefix: 'kms', sseKmsKeyId: 'alias/dags' });
    await s.put('a.py', 'x', { sha256: 'x', source: null, commit: 'c' }, { mode: 'adopt' });
    const head = await direct.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'kms/a.py' }));
    expect(head.ServerSideEncryption).toBe('aws:kms');
  });
});

describe('apply to S3: costs', () => {
  it('unchanged = 1 manifest GET; one change = 1 PUT + 2 root PUTs + 1 shard; one delete = 1 DELETE + the same', async () => {
    const s = store('costs');
    const v1 = dagSet(names(20));
    let mark = proxy.log.length;
    await sync(s, v1);
    // first deploy: read (404), one LIST of the shard folder (a first root starts above any
    // shard a deleted manifest left), announce, 20 creates, the one shard of 20 entries, the root
    expect(proxy.counts(mark)).toEqual({
      'GET bucket': 1,
      'GET manifest': 1,
      'PUT manifest': 2,
      'PUT object': 20,
      'PUT shard': 1,
    });

    mark = proxy.log.length;
    const unchanged = await sync(s, v1, { commit: 'c2' });
    expect(unchanged.writes).toBe(0);
    expect(proxy.counts(mark)).toEqual({ 'GET manifest': 1 });

    const v2 = [...v1];
    v2[3] = dagFile('dag_003', 2);
    mark = proxy.log.length;
    await sync(s, v2);
    // Announce the change in the root, make it, record it (the changed shard, then the root,
    // then the old shard goes): a crash in between converges. The store holds the shards it
    // read or wrote, so only the root is downloaded.
    const changed = { 'GET manifest': 1, 'PUT manifest': 2, 'PUT shard': 1, 'DELETE shard': 1 };
    expect(proxy.counts(mark)).toEqual({ ...changed, 'PUT object': 1 });

    mark = proxy.log.length;
    await sync(s, v2.slice(1));
    // The delete carries If-Match on the recorded ETag (as on AWS; a store configured for a
    // custom endpoint HEADs first instead, see deploy-truth.test.ts).
    expect(proxy.counts(mark)).toEqual({ ...changed, 'DELETE object': 1 });
    expect(proxy.log.slice(mark).find((r) => r.method === 'DELETE')?.status).toBe(204);
    await expectConverged(direct, BUCKET, 'costs', s, v2.slice(1));
  });
});

describe('apply to S3: safety', () => {
  it('never reads the content of, changes or deletes 500 unowned objects next to ours', async () => {
    const unowned = new Map<string, string>();
    for (let i = 0; i < 500; i++) {
      const key = `shared/${i % 2 ? 'team_b/' : ''}other_${i}.py`;
      const out = await direct.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `# theirs ${i}\n` }),
      );
      unowned.set(key, out.ETag ?? '');
    }
    const s = store('shared');
    const mark = proxy.log.length;
    await sync(s, dagSet(names(30)));
    await sync(s, dagSet(names(30), 2));
    await sync(s, dagSet(names(12), 2), { allowMassDelete: true });
    const s2 = store('shared');
    const current = await s2.readManifest();
    const owned = current?.manifest.entries.map((e) => e.key) ?? [];
    const plan = planSync({
      desired: dagSet(names(12), 2),
      manifest: current?.manifest ?? null,
      invalidSources: [],
      commit: 'c',
    });
    await s2.stat(owned); // a drift check lists the prefix: names and ETags, never content
    expect(plan.files.every((f) => f.action === 'unchanged')).toBe(true);

    const touched = proxy.log.slice(mark).filter((r) => r.bucket === BUCKET && unowned.has(r.key));
    expect(touched).toEqual([]);
    // The first write's LIST of our shard folder only, then one LIST page (512 objects), the
    // drift check's; no other bucket-level request.
    const lists = proxy.log.slice(mark).filter((r) => r.kind === 'bucket');
    expect(lists.map((r) => [r.method, r.query.includes('list-type=2'), r.query])).toEqual([
      [
        'GET',
        true,
        expect.stringContaining(`prefix=${encodeURIComponent('shared/.backtest-gitops/manifest-shards/')}`),
      ],
      ['GET', true, expect.stringContaining('prefix=shared%2F')],
    ]);
    const after = await listBucket(direct, BUCKET, 'shared/');
    for (const [key, etag] of unowned) expect(after.get(key)).toBe(etag);
    await expectConverged(direct, BUCKET, 'shared', s, dagSet(names(12), 2), new Set(unowned.keys()));
  });

  it('reports an unowned object at a wanted key by name and leaves it; --adopt takes it over', async () => {
    await direct.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'conflict/dag_001.py', Body: 'hand-made\n' }),
    );
    const s = store('conflict');
    const r = await sync(s, dagSet(names(3)));
    expect(r.ok).toBe(false);
    expect(r.conflicts.map((c) => [c.key, c.dag_id])).toEqual([['dag_001.py', 'dag_001']]);
    expect(r.conflicts[0]?.error).toContain('s3://mwaa-dags/conflict/dag_001.py');
    expect(await readObject(direct, BUCKET, 'conflict/dag_001.py')).toBe('hand-made\n');
    expect((await s.readManifest())?.manifest.entries.map((e) => e.key)).toEqual([
      'dag_000.py',
      'dag_002.py',
    ]);

    const adopted = await sync(s, dagSet(names(3)), { adopt: true });
    expect(adopted.ok).toBe(true);
    await expectConverged(direct, BUCKET, 'conflict', s, dagSet(names(3)));
  });

  it('refuses a mass delete without the flag and keeps the DAG of an invalid config', async () => {
    const s = store('massdel');
    await sync(s, dagSet(names(6)));
    const mark = proxy.log.length;
    await expect(sync(s, dagSet(names(2)))).rejects.toBeInstanceOf(SafetyError);
    expect(proxy.counts(mark)).toEqual({ 'GET manifest': 1 });
    // dag_005's config is invalid: its DAG stays, and only dag_004 is deleted.
    const r = await sync(s, dagSet(names(4)), { invalidSources: ['backtests/dag_005.yaml'] });
    expect(r.kept.map((k) => k.dag_id)).toEqual(['dag_005']);
    expect(r.plan.summary.delete).toEqual(['dag_004']);
    await expectConverged(direct, BUCKET, 'massdel', s, [...dagSet(names(4)), dagFile('dag_005')]);
  });

  it('reports drift only when asked (HEAD of owned keys) and repairs it', async () => {
    const s = store('drift');
    const want = dagSet(names(4));
    await sync(s, want);
    await direct.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'drift/dag_001.py', Body: 'edited in console\n' }),
    );
    const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    await direct.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'drift/dag_002.py' }));
    const current = await s.readManifest();
    const keys = current?.manifest.entries.map((e) => e.key) ?? [];
    const plan = planSync({
      desired: want,
      manifest: current?.manifest ?? null,
      manifestVersion: current?.version ?? null,
      invalidSources: [],
      commit: 'c',
      observed: await s.stat(keys),
    });
    expect(plan.summary.repair).toEqual(['dag_001', 'dag_002']);
    const { applyPlan } = await import('../../src/targets/apply-plan.js');
    const r = await applyPlan(plan, want, s);
    expect(r.ok).toBe(true);
    await expectConverged(direct, BUCKET, 'drift', s, want);
  });
});

describe('apply to S3: drift by LIST', () => {
  it('finds drift among 60 owned DAGs and 40 unowned objects with one ListObjectsV2 request, no HEAD', async () => {
    const s = store('list-drift');
    const want = dagSet(names(60));
    await sync(s, want);
    for (let i = 0; i < 40; i++) {
      await direct.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: `list-drift/theirs/t_${i}.py`, Body: `# ${i}\n` }),
      );
    }
    await direct.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'list-drift/dag_007.py', Body: 'edited\n' }),
    );
    const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    await direct.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'list-drift/dag_042.py' }));
    const current = await s.readManifest();
    const mark = proxy.log.length;
    const observed = await s.stat(current?.manifest.entries.map((e) => e.key) ?? []);
    expect(proxy.counts(mark)).toEqual({ 'GET bucket': 1 });
    const plan = planSync({
      desired: want,
      manifest: current?.manifest ?? null,
      manifestVersion: current?.version ?? null,
      invalidSources: [],
      commit: 'c',
      observed,
    });
    expect(plan.summary.repair).toEqual(['dag_007', 'dag_042']);
    // The LIST's ETags are the ones a HEAD returns.
    const headed = await s.stat(['dag_000.py', 'dag_001.py']);
    for (const [key, etag] of headed) expect(observed.get(key)).toBe(etag);
  });
});

describe('apply to S3: faults and concurrency', () => {
  it('converges with 10% 5xx and 10% dropped connections, losing nothing', async () => {
    const s = store('faults', proxied(4));
    proxy.setFaults({ seed: 42, errorRate: 0.1, dropRate: 0.1 });
    const mark = proxy.log.length;
    try {
      const steps = [
        dagSet(names(40)),
        [...dagSet(names(30)), ...dagSet(names(10, 'new'))],
        dagSet(names(35), 2),
      ];
      for (const want of steps) {
        const r = await sync(s, want, { allowMassDelete: true, concurrency: 6 });
        expect(r.ok, JSON.stringify(r.failed)).toBe(true);
      }
      const faults = proxy.log.slice(mark).filter((r) => r.fault).length;
      expect(faults).toBeGreaterThan(10);
    } finally {
      proxy.setFaults({});
    }
    await expectConverged(direct, BUCKET, 'faults', s, dagSet(names(35), 2));
  });

  it('re-plans and converges when manifest writes fail even after the SDK retries', async () => {
    const s = store('manifest-faults', proxied(1));
    proxy.setFaults({
      seed: 7,
      errorRate: 0.25,
      dropRate: 0.15,
      filter: (r) => r.kind === 'manifest' && r.method === 'PUT',
    });
    const mark = proxy.log.length;
    try {
      let rounds = 0;
      for (const want of [dagSet(names(8)), dagSet(names(8), 2), dagSet(names(5), 2)]) {
        const r = await sync(s, want, { allowMassDelete: true, maxAttempts: 12 });
        expect(r.ok).toBe(true);
        rounds += r.attempts;
      }
      // The fault sequence is seeded and only manifest PUTs draw from it, so this is fixed.
      expect(proxy.log.slice(mark).filter((r) => r.fault).length).toBeGreaterThanOrEqual(2);
      expect(rounds).toBeGreaterThan(3); // at least one apply had to re-plan
    } finally {
      proxy.setFaults({});
    }
    await expectConverged(direct, BUCKET, 'manifest-faults', s, dagSet(names(5), 2));
  });

  it('loses no update when two applies with different desired sets run at once', async () => {
    await sync(store('race'), dagSet(names(10)));
    for (let round = 0; round < 3; round++) {
      const a = dagSet(names(10 + round), round + 2);
      const b = [...dagSet(names(8), round + 5), ...dagSet(names(4, `b${round}`))];
      const [ra, rb] = await Promise.all([
        sync(store('race'), a, { allowMassDelete: true }),
        sync(store('race'), b, { allowMassDelete: true }),
      ]);
      expect(ra.ok && rb.ok).toBe(true);
      // Whoever wrote the manifest last wins, and the manifest matches the bucket exactly.
      const m = (await store('race').readManifest())?.manifest;
      const winner = m?.entries.some((e) => e.key.startsWith(`b${round}`)) ? b : a;
      await expectConverged(direct, BUCKET, 'race', store('race'), winner);
    }
  });
});
