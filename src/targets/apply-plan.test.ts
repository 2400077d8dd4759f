import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crashAt } from '../../test/support/crashing-store.js';
import { planSync } from '../plan/plan-sync.js';
import type { DesiredFile } from '../plan/types.js';
import { ManifestConflictError, SafetyError } from '../shared/errors.js';
import { applyPlan } from './apply-plan.js';
import type { DagStore } from './dag-store.js';
import { LocalDirDagStore } from './local-dir-dag-store.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const file = (dag: string, v = 1): DesiredFile => {
  const content = `# ${dag} v${v}\n`;
  return {
    key: `${dag}.py`,
    content,
    sha256: sha(content),
    source: `backtests/${dag}.yaml`,
    dag_id: dag,
    runs: v,
  };
};
const noSleep = async () => undefined;

async function sync(store: DagStore, desired: DesiredFile[], extra: Parameters<typeof applyPlan>[3] = {}) {
  const current = await store.readManifest();
  const plan = planSync({
    desired,
    manifest: current?.manifest ?? null,
    manifestVersion: current?.version ?? null,
    invalidSources: [],
    commit: 'c',
  });
  return applyPlan(plan, desired, store, { sleep: noSleep, ...extra });
}

async function listFiles(dir: string, sub = dir): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(sub, { withFileTypes: true })) {
    const p = join(sub, e.name);
    if (e.isDirectory()) Object.assign(out, await listFiles(dir, p));
    else out[relative(dir, p)] = await readFile(p, 'utf8');
  }
  return out;
}

describe('applyPlan on a local folder', () => {
  let dir: string;
  let store: LocalDirDagStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'btg-apply-'));
    store = new LocalDirDagStore(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes only what changed', async () => {
    const first = await sync(store, [file('a'), file('b'), file('c')]);
    expect(first).toMatchObject({ ok: true, writes: 3, manifestWrites: 2 });
    expect(await sync(store, [file('a'), file('b'), file('c')])).toMatchObject({
      writes: 0,
      manifestWrites: 0,
    });
    // One change: announce it, make it, record it.
    expect(await sync(store, [file('a'), file('b', 2), file('c')])).toMatchObject({
      writes: 1,
      manifestWrites: 2,
    });
    expect(await sync(store, [file('a'), file('b', 2)])).toMatchObject({
      writes: 0,
      deletes: 1,
      manifestWrites: 2,
    });
    expect(Object.keys(await listFiles(dir)).sort()).toEqual([
      '.backtest-gitops/manifest.json',
      'a.py',
      'b.py',
    ]);
  });

  it('neither overwrites nor deletes an owned file changed behind its back, and names it', async () => {
    await sync(store, [file('a'), file('b')]);
    await writeFile(join(dir, 'a.py'), 'hand fix a');
    await writeFile(join(dir, 'b.py'), 'hand fix b');
    const r = await sync(store, [file('a', 2)]);
    expect(r.ok).toBe(false);
    expect(r.conflicts.map((c) => [c.key, c.error])).toEqual([
      ['a.py', expect.stringMatching(/a\.py was changed behind our back .*not overwritten/)],
      ['b.py', expect.stringMatching(/b\.py was changed behind our back .*not deleted/)],
    ]);
    expect(await readFile(join(dir, 'a.py'), 'utf8')).toBe('hand fix a');
    expect(await readFile(join(dir, 'b.py'), 'utf8')).toBe('hand fix b');
    const m = (await store.readManifest())?.manifest;
    expect(m?.entries.map((e) => [e.key, e.sha256])).toEqual([
      ['a.py', file('a').sha256],
      ['b.py', file('b').sha256],
    ]);
    expect(m?.pending).toBeUndefined();
  });

  it('never overwrites or deletes an unowned file unless adopting', async () => {
    await writeFile(join(dir, 'b.py'), 'hand written');
    await writeFile(join(dir, 'notes.txt'), 'keep me');
    const r = await sync(store, [file('a'), file('b')]);
    expect(r.ok).toBe(false);
    expect(r.conflicts.map((c) => c.key)).toEqual(['b.py']);
    expect(await readFile(join(dir, 'b.py'), 'utf8')).toBe('hand written');
    expect((await store.readManifest())?.manifest.entries.map((e) => e.key)).toEqual(['a.py']);
    expect((await store.readManifest())?.manifest.pending).toBeUndefined();
    const adopted = await sync(store, [file('a'), file('b')], { adopt: true });
    expect(adopted.ok).toBe(true);
    expect(await readFile(join(dir, 'b.py'), 'utf8')).toBe(file('b').content);
    await sync(store, [], { allowMassDelete: true });
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('a folder full of unowned files costs one manifest read for all its conflicts, then a version check each', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `u${i}`);
    for (const n of names) await writeFile(join(dir, `${n}.py`), `hand written ${n}`);
    const calls = { readManifest: 0, headManifest: 0 };
    const counted = new Proxy(store, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (prop === 'readManifest' || prop === 'headManifest') calls[prop]++;
          return value.apply(target, args);
        };
      },
    });
    const r = await sync(
      counted,
      names.map((n) => file(n)),
    );
    expect(r.conflicts.map((c) => c.key).sort()).toEqual(names.map((n) => `${n}.py`).sort());
    for (const n of names) expect(await readFile(join(dir, `${n}.py`), 'utf8')).toBe(`hand written ${n}`);
    // Each conflict still checks the committed root after reading its object (another apply
    // may have announced the key), by a version check once the manifest has been read.
    expect(calls.headManifest).toBeGreaterThanOrEqual(names.length - 1);
    expect(calls.readManifest).toBeLessThanOrEqual(3); // the plan's read, the first check's
  });

  it('refuses a mass delete without the flag', async () => {
    await sync(store, [file('a'), file('b'), file('c')]);
    await expect(sync(store, [file('a')])).rejects.toBeInstanceOf(SafetyError);
    expect(Object.keys(await listFiles(dir))).toContain('c.py');
  });

  it('converges after a crash at any operation, before or after it took effect', async () => {
    const before = [file('a'), file('b'), file('c'), file('d')];
    const after = [file('a'), file('b', 2), file('c', 2), file('e'), file('f')];
    for (let k = 1; k <= 12; k++) {
      for (const afterOp of [false, true]) {
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, 'unowned.py'), 'theirs');
        await sync(store, before);
        await sync(crashAt(store, k, afterOp), after).catch(() => undefined);
        const r = await sync(store, after);
        expect(r.ok, `crash at ${k}`).toBe(true);
        const files = await listFiles(dir);
        delete files['.backtest-gitops/manifest.json'];
        const want = Object.fromEntries(after.map((f) => [f.key, f.content]));
        expect(files, `crash at ${k} ${afterOp}`).toEqual({ ...want, 'unowned.py': 'theirs' });
        const m = (await store.readManifest())?.manifest;
        expect(m?.entries.map((e) => [e.key, e.sha256])).toEqual(after.map((f) => [f.key, f.sha256]));
        expect(m?.pending).toBeUndefined();
      }
    }
  });

  it('cleans up what an interrupted apply created when those configs are gone on the next run', async () => {
    const before = [file('a')];
    await sync(store, before);
    // Dies after announcing b, c and writing b (ops: read, announce, put b, crash at put c).
    await sync(crashAt(store, 4, false), [file('a'), file('b'), file('c')]).catch(() => undefined);
    expect((await store.readManifest())?.manifest.pending?.map((p) => p.key)).toEqual(['b.py', 'c.py']);
    // Meanwhile someone puts their own c.py there: not ours (different content), so it stays.
    await writeFile(join(dir, 'c.py'), 'theirs');
    const r = await sync(store, before);
    expect(r.ok).toBe(true);
    const files = await listFiles(dir);
    delete files['.backtest-gitops/manifest.json'];
    expect(files).toEqual({ 'a.py': file('a').content, 'c.py': 'theirs' });
    expect((await store.readManifest())?.manifest.pending).toBeUndefined();
  });

  it('stops starting writes when aborted and still records what it wrote', async () => {
    const controller = new AbortController();
    const want = ['a', 'b', 'c', 'd', 'e', 'f'].map((d) => file(d));
    const err = await sync(store, want, {
      concurrency: 1,
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 2) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'aborted' });
    const m = (await store.readManifest())?.manifest;
    expect(m?.entries.map((e) => e.key)).toEqual(['a.py', 'b.py']);
    // Never attempted, so nothing to remember.
    expect(m?.pending).toBeUndefined();
    expect((await sync(store, want)).ok).toBe(true);
    expect((await store.readManifest())?.manifest.pending).toBeUndefined();
  });

  it('reports what it did even when its manifest write went through but looked like a conflict', async () => {
    // The final manifest PUT succeeds but the answer is lost (retried by the SDK -> 412).
    let writes = 0;
    const lossy: DagStore = {
      location: store.location,
      readManifest: () => store.readManifest(),
      writeManifest: async (m, v) => {
        const version = await store.writeManifest(m, v);
        if (++writes === 2) throw new ManifestConflictError(store.location);
        return version;
      },
      put: (k, c, m, cond) => store.put(k, c, m, cond),
      delete: (k) => store.delete(k),
      get: (k) => store.get(k),
      stat: (ks) => store.stat(ks),
    };
    const r = await sync(lossy, [file('a'), file('b')]);
    expect(r.attempts).toBe(2);
    expect(r.files.map((f) => [f.key, f.action, f.status])).toEqual([
      ['a.py', 'create', 'done'],
      ['b.py', 'create', 'done'],
    ]);
    expect(r.plan.files.every((f) => f.action === 'unchanged')).toBe(true);
  });

  it('counts a write whose answer was lost but which S3 made as done, once a later round reads it back', async () => {
    // b.py is written, then the answer is lost: the round reports it failed and keeps it
    // announced; the next round reads it back with the desired content.
    let lost = 0;
    const lossy: DagStore = {
      location: store.location,
      readManifest: () => store.readManifest(),
      writeManifest: (m, v) => store.writeManifest(m, v),
      put: async (k, c, m, cond) => {
        const version = await store.put(k, c, m, cond);
        if (k === 'b.py' && ++lost === 1) throw new Error('socket hang up');
        return version;
      },
      delete: (k) => store.delete(k),
      get: (k) => store.get(k),
      stat: (ks) => store.stat(ks),
    };
    const r = await sync(lossy, [file('a'), file('b')]);
    expect(lost).toBe(1);
    expect(r.attempts).toBe(2);
    expect(r.ok).toBe(true);
    expect(r.files.map((f) => [f.key, f.status])).toEqual([
      ['a.py', 'done'],
      ['b.py', 'done'],
    ]);
    expect((await store.readManifest())?.manifest.entries.map((e) => e.key)).toEqual(['a.py', 'b.py']);
  });

  it('loses no update when two applies with different desired sets run at once', async () => {
    await sync(store, [file('a'), file('b')]);
    const other = new LocalDirDagStore(dir);
    const [r1, r2] = await Promise.all([
      sync(store, [file('a', 2), file('b'), file('c')], { allowMassDelete: true }),
      sync(other, [file('a', 3), file('d'), file('e')], { allowMassDelete: true }),
    ]);
    expect(r1.ok && r2.ok).toBe(true);
    const files = await listFiles(dir);
    const m = (await store.readManifest())?.manifest;
    delete files['.backtest-gitops/manifest.json'];
    // Whatever order won, the manifest describes exactly what is in the folder.
    expect(Object.fromEntries((m?.entries ?? []).map((e) => [e.key, e.sha256]))).toEqual(
      Object.fromEntries(Object.entries(files).map(([k, c]) => [k, sha(c)])),
    );
    expect(m?.pending).toBeUndefined();
  });
});
