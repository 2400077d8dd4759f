import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3DagStore } from '../../src/targets/s3-dag-store.js';
import { compiled, SHORT_RUN_FLAGS } from '../support/cli.js';
import type { FaultProxy } from '../support/fault-proxy.js';
import { MOTO_ENV, type MotoServer, motoS3Client, startMoto } from '../support/moto.js';
import { projectRoot } from '../support/python.js';
import { createBucket, dagSet, expectConverged, shardsAt, sync } from './helpers.js';
import { type KillSwitch, startKillSwitch } from './kill-switch.js';

const BUCKET = 'crash-dags';
let moto: MotoServer;
let proxy: FaultProxy;
let direct: S3Client;
let tmp: string;

let kill: KillSwitch;

beforeAll(async () => {
  moto = await startMoto();
  kill = await startKillSwitch(moto.endpoint);
  proxy = kill.proxy;
  direct = motoS3Client(moto.endpoint);
  await createBucket(direct, BUCKET);
  tmp = await mkdtemp(join(tmpdir(), 'btg-crash-'));
});
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function runChild(
  desiredPath: string,
  target: string,
): Promise<{ code: number | null; signal: string | null; child: ChildProcess }> {
  // The fixture compiled for this run (test/support/cli-build.ts), started by node itself: the
  // pid we kill is the one applying.
  const child = spawn(
    process.execPath,
    [...SHORT_RUN_FLAGS, compiled('test/s3/fixtures/apply-child.ts'), desiredPath, target],
    {
      cwd: projectRoot,
      env: { ...process.env, ...MOTO_ENV, AWS_ENDPOINT_URL_S3: proxy.endpoint, AWS_MAX_ATTEMPTS: '1' },
      stdio: 'ignore',
    },
  );
  kill.attach(child);
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, child })));
}

describe('apply killed with SIGKILL mid-way', () => {
  it('converges on the next apply from every kill point, and leaves no stray shard after an apply with a drift check', async () => {
    const names = (n: number, p: string) => Array.from({ length: n }, (_, i) => `${p}_${i}`);
    const before = dagSet(names(12, 'd'));
    // 4 unchanged, 4 updated, 4 deleted, 10 created: read the root and its shard, announce,
    // 14 PUTs, 4 DELETEs (each with its read-back), the new shard, the root, the old shard's DELETE.
    const after = [...before.slice(0, 4), ...dagSet(names(8, 'd'), 2).slice(4), ...dagSet(names(10, 'n'))];
    const desiredPath = join(tmp, 'after.json');
    await writeFile(desiredPath, JSON.stringify(after));
    // This process's own deploys and checks go straight to moto: the kill switch's proxy is for
    // the child it kills (it counts only the armed child's requests either way).
    const client = direct;
    const unowned = `k-unowned.py`;

    // The kill points: every request the apply makes, counted on an apply nobody kills.
    await sync(new S3DagStore({ client, bucket: BUCKET, prefix: 'count' }), before);
    const mark = proxy.log.length;
    expect((await runChild(desiredPath, `s3://${BUCKET}/count`)).code).toBe(0);
    const seen = proxy.log.slice(mark).filter((r) => r.key.startsWith('count/'));
    expect(seen.map((r) => `${r.method} ${r.kind}`)).toEqual(
      expect.arrayContaining(['GET shard', 'PUT shard', 'PUT manifest', 'DELETE shard']),
    );
    const points = seen.length;
    expect(points).toBeGreaterThanOrEqual(25);
    process.stdout.write(`kill points: ${points} (${seen.map((r) => `${r.method} ${r.kind}`).join(', ')})\n`);

    for (let k = 1; k <= points; k++) {
      const prefix = `kill-${k}`;
      const store = new S3DagStore({ client, bucket: BUCKET, prefix });
      await direct.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${unowned}`, Body: 'theirs' }),
      );
      await sync(store, before);
      kill.arm({ prefix, k, after: k % 2 === 0 });
      const exit = await runChild(desiredPath, `s3://${BUCKET}/${prefix}`);
      kill.disarm();
      expect(exit.signal, `kill point ${k}`).toBe('SIGKILL');
      const r = await sync(store, after);
      expect(r.ok, `kill point ${k}`).toBe(true);
      await expectConverged(direct, BUCKET, prefix, store, after, new Set([`${prefix}/${unowned}`]));
      // A shard the killed process wrote but no root names is deleted by the next apply: after
      // a write that follows the crash (the root still held the announcement), or after a
      // drift check whose LIST showed it (the controller's periodic check).
      expect((await sync(store, after, { drift: 'report' })).ok, `kill point ${k}`).toBe(true);
      const shards = await shardsAt(direct, BUCKET, prefix);
      expect(shards.stored, `kill point ${k}`).toEqual(shards.named);
    }
  });
});

describe('two apply processes at once', () => {
  it('lose no update: the manifest always lists exactly what is in the bucket, with its content', async () => {
    const names = (n: number, p: string) => Array.from({ length: n }, (_, i) => `${p}_${i}`);
    const store = new S3DagStore({ client: direct, bucket: BUCKET, prefix: 'two-clones' });
    await sync(store, dagSet(names(10, 'd')));
    for (let round = 0; round < 3; round++) {
      // Two clones at different commits: both change the shared DAGs and add their own.
      const a = [...dagSet(names(10, 'd'), 2 + round * 2), ...dagSet(names(3, `a${round}`))];
      const b = [...dagSet(names(10, 'd'), 3 + round * 2), ...dagSet(names(3, `b${round}`))];
      await writeFile(join(tmp, 'a.json'), JSON.stringify(a));
      await writeFile(join(tmp, 'b.json'), JSON.stringify(b));
      const target = `s3://${BUCKET}/two-clones`;
      const [ra, rb] = await Promise.all([
        runChild(join(tmp, 'a.json'), target),
        runChild(join(tmp, 'b.json'), target),
      ]);
      expect([ra.code, rb.code]).toEqual([0, 0]);
      const m = (await store.readManifest())?.manifest;
      const winner = m?.entries.some((e) => e.key.startsWith(`b${round}_`)) ? b : a;
      await expectConverged(direct, BUCKET, 'two-clones', store, winner);
    }
  });
});
