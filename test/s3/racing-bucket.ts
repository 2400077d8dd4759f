import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { planAgainstTarget, type TargetPlan } from '../../src/pipeline/prepare-sync.js';
import type { DesiredFile } from '../../src/plan/types.js';
import { S3DagStore } from '../../src/targets/s3-dag-store.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { type MotoServer, motoS3Client, startMoto } from '../support/moto.js';
import { createBucket } from './helpers.js';

/**
 * A bucket for the tests of concurrent appliers: on the file's moto, behind a fault proxy whose
 * seeded delays reorder the appliers' requests. Registers its own beforeAll/afterAll. `direct`
 * talks to moto; `store(prefix)` is a fresh store through the proxy with the SDK's standard
 * retries, whose deletes read the ETag back first (`endpoint`: moto ignores If-Match on
 * DeleteObject).
 */
export function useRacingBucket(
  bucket: string,
  delays: { seed: number; delayMs: number },
): { readonly proxy: FaultProxy; readonly direct: S3Client; store(prefix: string): S3DagStore } {
  let moto: MotoServer | undefined;
  let proxy: FaultProxy | undefined;
  let direct: S3Client | undefined;
  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy({ upstream: moto.endpoint, ...delays });
    direct = motoS3Client(moto.endpoint);
    await createBucket(direct, bucket);
  });
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
  });
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('useRacingBucket: used before its beforeAll ran');
    return v;
  };
  return {
    get proxy() {
      return started(proxy);
    },
    get direct() {
      return started(direct);
    },
    store(prefix) {
      const endpoint = started(proxy).endpoint;
      return new S3DagStore({
        client: motoS3Client(endpoint, { maxAttempts: 3 }),
        bucket,
        prefix,
        endpoint,
      });
    },
  };
}

/**
 * One applier per desired set, each with its own fresh store from `store()`, all planned
 * against the same root before any of them applies: their announcements then race.
 */
export async function planTogether(
  store: () => S3DagStore,
  wants: readonly DesiredFile[][],
  commit: string,
): Promise<{ stores: S3DagStore[]; plans: TargetPlan[] }> {
  const stores = wants.map(() => store());
  const plans = await Promise.all(
    wants.map((desired, i) =>
      planAgainstTarget({ desired, invalidSources: [], store: stores[i] as S3DagStore, commit }),
    ),
  );
  return { stores, plans };
}
