import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { DesiredFile } from '../../src/plan/types.js';
import { applyPlan } from '../../src/targets/apply-plan.js';
import { S3DagStore } from '../../src/targets/s3-dag-store.js';
import { dagFile, expectConverged, listBucket, readObject, sha256, sync } from './helpers.js';
import { planTogether, useRacingBucket } from './racing-bucket.js';

/**
 * Three appliers on separate store instances, different renders sharing keys (each changes
 * some shared configs to its own content, drops a few, adds two of its own), through a
 * proxy that delays each request by a seeded random few ms. Every key they write is owned
 * (named in the committed root, or announced by an applier whose root write won), so no
 * applier may end with "exists and is not owned" or "changed behind our back": both would
 * be false. Each must converge, the bucket must be the committed root's entries by sha256,
 * and objects nobody owns must keep their bytes.
 */

const BUCKET = 'three-appliers';
const PREFIX = 'three';
const race = useRacingBucket(BUCKET, { seed: 11, delayMs: 6 });
const store = () => race.store(PREFIX);
const SHARED = 12;
const names = (n: number) => Array.from({ length: n }, (_, i) => `shared_${String(i).padStart(2, '0')}`);

/** Applier `who`'s render in `round`: shared keys, half with its own content, one dropped, two of its own. */
function desiredOf(who: number, round: number): DesiredFile[] {
  const shared = names(SHARED)
    .filter((_, j) => j % 6 !== (who + round) % 6)
    .map((n, j) => dagFile(n, j % 2 === who % 2 ? 10 * round + who + 2 : 1));
  return [...shared, dagFile(`own_${who}_${round}_a`), dagFile(`own_${who}_${round}_b`)];
}

describe('three concurrent appliers sharing keys', () => {
  it('each converges without a false ownership error, the bucket is the committed root, unowned objects are untouched', async () => {
    // Objects nobody owns under the prefix: no applier wants these keys.
    const unowned = new Map<string, string>();
    for (const k of ['hand_made.py', 'notes/readme.txt', 'zz_manual.py']) {
      const body = `# placed by hand: ${k}\n`;
      await race.direct.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}/${k}`, Body: body }));
      unowned.set(`${PREFIX}/${k}`, sha256(body));
    }
    await sync(
      store(),
      names(SHARED).map((n) => dagFile(n)),
    );

    const failures: string[] = [];
    let objectConflicts = 0;
    let rootConflicts = 0;
    for (let round = 1; round <= 5; round++) {
      const since = race.proxy.log.length;
      const wants = [0, 1, 2].map((who) => desiredOf(who, round));
      const { stores, plans } = await planTogether(store, wants, `c${round}`);
      const results = await Promise.all(
        plans.map(({ plan }, i) =>
          applyPlan(plan, wants[i] as DesiredFile[], stores[i] as S3DagStore, {
            allowMassDelete: true,
            maxAttempts: 12,
            sleep: (ms) => new Promise((r) => setTimeout(r, ms / 8)),
          }),
        ),
      );
      for (const [i, r] of results.entries())
        for (const f of [...r.conflicts, ...r.failed])
          failures.push(`round ${round} applier ${i}: ${f.error}`);

      const log = race.proxy.log.slice(since);
      rootConflicts += log.filter(
        (r) => r.method === 'PUT' && r.kind === 'manifest' && r.status === 412,
      ).length;
      objectConflicts += log.filter(
        (r) => r.method === 'PUT' && r.kind === 'object' && r.status === 412,
      ).length;

      // The bucket is the committed root (whoever committed last: its whole render).
      const check = new S3DagStore({ client: race.direct, bucket: BUCKET, prefix: PREFIX });
      const m = (await check.readManifest())?.manifest;
      const winner = [0, 1, 2].find((who) => m?.entries.some((e) => e.key === `own_${who}_${round}_a.py`));
      expect(winner, `round ${round}: the root names one applier's render`).toBeDefined();
      await expectConverged(
        race.direct,
        BUCKET,
        PREFIX,
        check,
        wants[winner ?? 0] as DesiredFile[],
        new Set(unowned.keys()),
      );
      // Objects nobody owns keep their bytes.
      const listed = await listBucket(race.direct, BUCKET, `${PREFIX}/`);
      for (const [k, sum] of unowned) {
        expect(listed.has(k), k).toBe(true);
        expect(sha256(await readObject(race.direct, BUCKET, k)), k).toBe(sum);
      }
    }
    // Every key involved is owned, so any ownership or drift report is false.
    expect(failures).toEqual([]);
    // The races happened: root writes lost on a stale If-Match, and object writes lost on a
    // condition (another applier wrote the shared key first).
    expect(rootConflicts).toBeGreaterThan(0);
    expect(objectConflicts).toBeGreaterThan(0);
  }, 120_000);
});
