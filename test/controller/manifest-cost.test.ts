import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessController } from '../reliability/in-process-controller.js';
import { bucketHashes } from '../s3/deploy-repo.js';
import { manifestAt, shardsAt } from '../s3/helpers.js';
import { type FaultProxy, type ProxiedRequest, startFaultProxy } from '../support/fault-proxy.js';
import { createGitRemote, type GitRemoteFixture } from '../support/github-server/index.js';
import { MOTO_ENV, type MotoServer, motoS3Client, startMoto } from '../support/moto.js';

/**
 * What one merged config change costs the running controller (production composition, one
 * S3 store for its life) on a target with several manifest shards: the shards it read at
 * start-up are kept in memory, so the reconcile reads only the manifest root, writes one DAG,
 * one shard and the root twice, and deletes the replaced shard.
 */
const BUCKET = 'cost-dags';
const CONFIGS = 150;

let moto: MotoServer;
let proxy: FaultProxy;
let s3: S3Client;
let remote: GitRemoteFixture;
let dir: string;

function config(i: number, capital: number): string {
  return `strategy_class: Momentum\nstart_date: 2022-01-01\nend_date: 2022-12-31\ninitial_capital: ${capital}\nparam_grid:\n  take_profit_pct: [5, ${10 + (i % 7)}]\n`;
}

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy({ upstream: moto.endpoint });
  s3 = motoS3Client(moto.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  remote = createGitRemote();
  dir = mkdtempSync(join(tmpdir(), 'btg-cost-'));
}, 120_000);

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  remote?.cleanup();
  await proxy?.stop();
  await moto?.stop();
});

describe('the controller, one config changed', () => {
  it('reads only the manifest root (its shards are in memory) and writes one DAG, one shard and the root', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < CONFIGS; i++)
      files[`backtests/bt_${String(i).padStart(3, '0')}.yaml`] = config(i, 1_000_000);
    remote.commit(files);
    remote.push('main');
    const controller = await inProcessController({
      dir,
      yaml: [
        `repo: { url: ${JSON.stringify(remote.bareDir)} }`,
        `target: s3://${BUCKET}/dags`,
        'drift: off',
        // One replica: no lease object to renew, so every request counted is the deploy's.
        'leader_lease_seconds: 0',
        `cache_dir: ${JSON.stringify(join(dir, 'cache'))}`,
      ].join('\n'),
      env: { ...MOTO_ENV, BACKTEST_GITOPS_S3_ENDPOINT: proxy.endpoint },
    });
    try {
      // The start-up reconcile deployed everything; the manifest has several shards.
      const deployed = await manifestAt(s3, BUCKET, 'dags');
      expect(deployed?.entries.filter((e) => e.dag_id !== null)).toHaveLength(CONFIGS);
      expect((await shardsAt(s3, BUCKET, 'dags')).named.length).toBeGreaterThan(1);

      remote.commit({ 'backtests/bt_017.yaml': config(17, 2_500_000) });
      remote.push('main');
      const mark = proxy.log.length;
      expect(await controller.reconcile()).toBe('success');
      const seen = proxy.log.slice(mark).filter((r) => r.key.startsWith('dags/'));
      const counts: Record<string, number> = {};
      for (const r of seen) counts[`${r.method} ${r.kind}`] = (counts[`${r.method} ${r.kind}`] ?? 0) + 1;
      expect(counts).toEqual({
        'HEAD manifest': 1,
        'GET manifest': 1,
        'PUT manifest': 2,
        'PUT object': 1,
        'PUT shard': 1,
        'DELETE shard': 1,
      });
      const book = seen.filter((r: ProxiedRequest) => r.kind === 'manifest' || r.kind === 'shard');
      const up = book.reduce((a, r) => a + r.bytes, 0);
      const down = book.reduce((a, r) => a + r.responseBytes, 0);
      expect(up).toBeLessThan(16_000);
      expect(down).toBeLessThan(16_000);
      expect(seen.find((r) => r.method === 'PUT' && r.kind === 'object')?.key).toBe('dags/bt_017.py');

      const m = await manifestAt(s3, BUCKET, 'dags');
      const live = await bucketHashes(s3, BUCKET, 'dags');
      expect(new Map(m?.entries.map((e) => [e.key, e.sha256]))).toEqual(live);
      const shards = await shardsAt(s3, BUCKET, 'dags');
      expect(shards.stored).toEqual(shards.named);
      process.stdout.write(
        `controller, one config changed at ${CONFIGS} configs (${shards.named.length} shards): ${seen.length} requests, bookkeeping ${up} B up, ${down} B down\n`,
      );
    } finally {
      await controller.stop();
    }
  });
});
