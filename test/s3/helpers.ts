import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { planAgainstTarget } from '../../src/pipeline/prepare-sync.js';
import { MANIFEST_KEY } from '../../src/plan/manifest.js';
import { SHARD_PREFIX, shardNameOf } from '../../src/plan/manifest-shards.js';
import type { DesiredFile, Manifest } from '../../src/plan/types.js';
import { applyPlan } from '../../src/targets/apply-plan.js';
import type { ApplyOptions } from '../../src/targets/apply-result.js';
import type { DagStore } from '../../src/targets/dag-store.js';
import { S3DagStore } from '../../src/targets/s3-dag-store.js';

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A synthetic rendered DAG of about `size` bytes (the real renderer is tested elsewhere). */
export function dagFile(dag: string, version = 1, size = 600): DesiredFile {
  const head = `# dag ${dag} version ${version}\nDAG_ID = ${JSON.stringify(dag)}\n`;
  const content = `${head + '#'.repeat(Math.max(0, size - head.length - 1))}\n`;
  return {
    key: `${dag}.py`,
    content,
    sha256: sha256(content),
    source: `backtests/${dag}.yaml`,
    dag_id: dag,
    runs: version,
  };
}

export function dagSet(names: string[], version = 1): DesiredFile[] {
  return names.map((n) => dagFile(n, version));
}

/** plan + apply the way the CLI does it: one manifest read, then the plan. */
export async function sync(
  store: DagStore,
  desired: DesiredFile[],
  opts: ApplyOptions & {
    invalidSources?: string[];
    commit?: string;
    drift?: 'off' | 'report' | 'repair';
  } = {},
) {
  const { plan } = await planAgainstTarget({
    desired,
    invalidSources: opts.invalidSources ?? [],
    store,
    commit: opts.commit ?? 'c1',
    adopt: opts.adopt ?? false,
    ...(opts.drift ? { drift: opts.drift } : {}),
  });
  return applyPlan(plan, desired, store, { sleep: async () => undefined, ...opts });
}

export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** Every object under a prefix with its ETag, read straight from moto (not through the proxy). */
export async function listBucket(
  client: S3Client,
  bucket: string,
  prefix = '',
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const o of page.Contents ?? []) if (o.Key) out.set(o.Key, o.ETag ?? '');
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

export async function readObject(client: S3Client, bucket: string, key: string): Promise<string> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await out.Body?.transformToString()) ?? '';
}

/**
 * Checks the invariant every test ends with: the manifest lists exactly the objects under our
 * prefix that are ours (everything but `unowned`), with their real content hashes, and no pending keys.
 */
export async function expectConverged(
  client: S3Client,
  bucket: string,
  prefix: string,
  store: DagStore,
  want: DesiredFile[],
  unowned: Set<string> = new Set(),
): Promise<void> {
  const { expect } = await import('vitest');
  const m = (await store.readManifest())?.manifest;
  expect(m?.pending ?? []).toEqual([]);
  expect(m?.entries.map((e) => [e.key, e.sha256])).toEqual(
    [...want].sort((a, b) => (a.key < b.key ? -1 : 1)).map((f) => [f.key, f.sha256]),
  );
  const objects = await listBucket(client, bucket, `${prefix}/`);
  const ours = [...objects.keys()].filter((k) => !unowned.has(k) && !k.includes('/.backtest-gitops/'));
  expect(ours.sort()).toEqual(want.map((f) => `${prefix}/${f.key}`).sort());
  for (const f of want) expect(sha256(await readObject(client, bucket, `${prefix}/${f.key}`))).toBe(f.sha256);
}

/** The whole manifest under `prefix` (root and shards), read by a fresh store straight from moto. */
export async function manifestAt(client: S3Client, bucket: string, prefix: string): Promise<Manifest | null> {
  return (await new S3DagStore({ client, bucket, prefix }).readManifest())?.manifest ?? null;
}

/**
 * The manifest's shard objects under `prefix`: the names the root lists and the names in the
 * bucket. Equal sets mean no shard is missing and no garbage is left.
 */
export async function shardsAt(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<{ named: string[]; stored: string[] }> {
  const root = JSON.parse(await readObject(client, bucket, `${prefix}/${MANIFEST_KEY}`)) as {
    shards?: (string | null)[];
  };
  const named = (root.shards ?? []).filter((n): n is string => n !== null).sort();
  const listed = await listBucket(client, bucket, `${prefix}/${SHARD_PREFIX}`);
  const stored = [...listed.keys()]
    .map((k) => shardNameOf(k.slice(prefix.length + 1)))
    .filter((n): n is string => n !== null)
    .sort();
  return { named, stored };
}
