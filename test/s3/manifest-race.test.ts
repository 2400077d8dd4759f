import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { DesiredFile } from '../../src/plan/types.js';
import { TargetError } from '../../src/shared/errors.js';
import { applyPlan } from '../../src/targets/apply-plan.js';
import { S3DagStore } from '../../src/targets/s3-dag-store.js';
import { dagFile, expectConverged, shardsAt, sync } from './helpers.js';
import { planTogether, useRacingBucket } from './racing-bucket.js';

/**
 * Concurrent appliers on separate store instances against one sharded manifest, through a
 * proxy that delays every request by a random few ms so the interleavings vary. What must
 * hold whatever the order: the committed root names only shards that exist (no reader ever
 * sees a damaged manifest), and the bucket is exactly the render of whoever committed last.
 */

const BUCKET = 'manifest-race';
const race = useRacingBucket(BUCKET, { seed: 7, delayMs: 4 });
const store = (prefix: string) => race.store(prefix);
/** 56 configs: 2 shards, so a write keeps one shard by name and replaces the other. */
const COUNT = 56;
const names = (n: number) => Array.from({ length: n }, (_, i) => `dag_${String(i).padStart(3, '0')}`);

/**
 * Applier `who`'s render in `round`: the shared configs, a different seventh of them
 * changed, a different few dropped, and two configs of its own (so the winner is known).
 */
function desiredOf(who: number, round: number): DesiredFile[] {
  const shared = names(COUNT)
    .filter((_, j) => j % 13 !== (who + round) % 13)
    .map((n, j) => dagFile(n, j % 7 === (who + 2 * round) % 7 ? 10 * round + who + 2 : 1));
  return [...shared, dagFile(`own_${who}_${round}_a`), dagFile(`own_${who}_${round}_b`)];
}

describe('the sharded manifest under concurrent appliers', () => {
  it('two appliers with different renders and readers, three rounds: the committed root always names existing shards and the bucket is the last writer’s render', async () => {
    const prefix = 'race';
    await sync(
      store(prefix),
      names(COUNT).map((n) => dagFile(n)),
    );
    const corrupt: string[] = [];
    for (let round = 1; round <= 3; round++) {
      const since = race.proxy.log.length;
      const wants = [0, 1].map((who) => desiredOf(who, round));
      // Both plan against the same root before any applies: their announcements race.
      const { stores, plans } = await planTogether(() => store(prefix), wants, `c${round}`);
      let done = false;
      const reader = (async () => {
        // Fresh readers all through the round: none may find a root naming a missing shard.
        while (!done) {
          try {
            await store(prefix).readManifest();
            await new Promise((r) => setTimeout(r, 10));
          } catch (err) {
            if (err instanceof TargetError && err.code === 'manifest-corrupt') corrupt.push(err.message);
            else throw err;
          }
        }
      })();
      const results = await Promise.all(
        plans.map(({ plan }, i) =>
          applyPlan(plan, wants[i] as DesiredFile[], stores[i] as S3DagStore, {
            allowMassDelete: true,
            maxAttempts: 12,
            sleep: (ms) => new Promise((r) => setTimeout(r, ms / 8)),
          }),
        ),
      ).finally(() => {
        done = true;
      });
      await reader;
      expect(results.map((r) => r.ok)).toEqual([true, true]);

      // The race happened: root PUTs lost on a stale If-Match; and S3 let at most one root
      // PUT win per expected version (two winners would each delete shards the other names).
      const rootPuts = race.proxy.log.slice(since).filter((r) => r.method === 'PUT' && r.kind === 'manifest');
      expect(rootPuts.filter((r) => r.status === 412).length).toBeGreaterThan(0);
      // and the roots changed shards (written under new names, replaced ones deleted).
      expect(race.proxy.counts(since)['PUT shard']).toBeGreaterThan(0);
      expect(race.proxy.counts(since)['DELETE shard']).toBeGreaterThan(0);
      const winners = new Map<string, number>();
      for (const r of rootPuts)
        if (r.status === 200 && r.ifMatch) winners.set(r.ifMatch, (winners.get(r.ifMatch) ?? 0) + 1);
      expect([...winners.values()].filter((n) => n > 1)).toEqual([]);

      const { named, stored } = await shardsAt(race.direct, BUCKET, prefix);
      expect(named.filter((n) => !stored.includes(n))).toEqual([]);
      const check = new S3DagStore({ client: race.direct, bucket: BUCKET, prefix });
      const m = (await check.readManifest())?.manifest;
      const winner = [0, 1].find((who) => m?.entries.some((e) => e.key === `own_${who}_${round}_a.py`));
      expect(winner).toBeDefined();
      await expectConverged(race.direct, BUCKET, prefix, check, wants[winner ?? 0] as DesiredFile[]);
    }
    expect(corrupt).toEqual([]);
  }, 60_000);

  it('the test S3 server lets exactly one of concurrent PUTs with the same If-Match win, as S3 does', async () => {
    // What the manifest's safety rests on (see test/support/moto_server.py for why moto
    // itself needs a lock for it).
    const key = 'cas/root.json';
    for (let round = 0; round < 20; round++) {
      const base = await race.direct.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `base ${round}` }),
      );
      const answers = await Promise.allSettled(
        Array.from({ length: 16 }, (_, i) =>
          race.direct.send(
            new PutObjectCommand({
              Bucket: BUCKET,
              Key: key,
              Body: `writer ${i} ${round}`,
              IfMatch: base.ETag,
            }),
          ),
        ),
      );
      expect(answers.filter((a) => a.status === 'fulfilled').length, `round ${round}`).toBe(1);
    }
  });
});
