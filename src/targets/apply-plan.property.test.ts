import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crashAt } from '../../test/support/crashing-store.js';
import { planSync } from '../plan/plan-sync.js';
import type { DesiredFile } from '../plan/types.js';
import { applyPlan } from './apply-plan.js';
import type { DagStore } from './dag-store.js';
import { LocalDirDagStore } from './local-dir-dag-store.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const file = (dag: string, v: number): DesiredFile => {
  const content = `# ${dag} v${v}\n`;
  return { key: `${dag}.py`, content, sha256: sha(content), source: `b/${dag}.yaml`, dag_id: dag, runs: 1 };
};

async function sync(store: DagStore, desired: DesiredFile[], checkDrift = false) {
  const current = await store.readManifest();
  const observed = checkDrift
    ? await store.stat(current?.manifest.entries.map((e) => e.key) ?? [])
    : undefined;
  const plan = planSync({
    ...(observed ? { observed } : {}),
    desired,
    manifest: current?.manifest ?? null,
    manifestVersion: current?.version ?? null,
    invalidSources: [],
    commit: 'c',
    maxDeleteShare: 1,
  });
  return applyPlan(plan, desired, store, { sleep: async () => undefined, concurrency: 2 });
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}

async function listFiles(dir: string, sub = dir): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(sub, { withFileTypes: true })) {
    const p = join(sub, e.name);
    if (e.isDirectory()) Object.assign(out, await listFiles(dir, p));
    else if (!p.endsWith('manifest.json')) out[relative(dir, p)] = await readFile(p, 'utf8');
  }
  return sortKeys(out);
}

const dags = ['a', 'b', 'c', 'd', 'e', 'f'];
const state = fc.dictionary(fc.constantFrom(...dags), fc.integer({ min: 1, max: 3 }), { maxKeys: 6 });

describe('applyPlan, any states, any crash point', () => {
  it('ends with the folder equal to the desired files plus untouched unowned files', {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        state,
        state,
        state,
        fc.subarray(dags, { maxLength: 2 }),
        fc.integer({ min: 1, max: 14 }),
        fc.boolean(),
        async (s0, s1, s2, unownedDags, k, after) => {
          const dir = await mkdtemp(join(tmpdir(), 'btg-prop-'));
          try {
            const store = new LocalDirDagStore(dir);
            const toFiles = (s: Record<string, number>) => Object.entries(s).map(([d, v]) => file(d, v));
            await sync(store, toFiles(s0));
            // Unowned files appear only at keys we do not own.
            const owned = new Set(Object.keys(s0));
            const unowned = unownedDags.filter((d) => !owned.has(d)).map((d) => `${d}.py`);
            for (const key of unowned) await writeFile(join(dir, key), 'theirs');
            await sync(crashAt(store, k, after), toFiles(s1)).catch(() => undefined);
            const final = toFiles(s2);
            // Every change is announced before it is made, so the next apply converges with
            // no drift check, whether it re-applies, reverts or moves on.
            const r = await sync(store, final);
            const expected: Record<string, string> = {};
            for (const f of final) expected[f.key] = f.content;
            for (const key of unowned) expected[key] = 'theirs';
            // Conflicts are exactly the wanted keys held by someone else.
            const want = new Set(final.map((f) => f.key));
            expect(r.conflicts.map((c) => c.key).sort()).toEqual(unowned.filter((k2) => want.has(k2)).sort());
            expect(await listFiles(dir)).toEqual(expected);
            const m = (await store.readManifest())?.manifest;
            expect(m?.entries.map((e) => e.key)).toEqual(
              final
                .map((f) => f.key)
                .filter((key) => !unowned.includes(key))
                .sort(),
            );
            expect(m?.pending).toBeUndefined();
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 200, seed: 20261124 },
    );
  });
});
