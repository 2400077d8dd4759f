import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextManifest } from './manifest.js';
import { planSync } from './plan-sync.js';
import type { DesiredFile, Manifest, ManifestEntry } from './types.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function file(dag: string, content = `# ${dag}\n`, runs = 1): DesiredFile {
  return {
    key: `${dag}.py`,
    content,
    sha256: sha(content),
    source: `backtests/${dag}.yaml`,
    dag_id: dag,
    runs,
  };
}

function owned(f: DesiredFile, etag = `"${f.sha256.slice(0, 8)}"`): ManifestEntry {
  const { key, sha256, source, dag_id, runs } = f;
  return { key, sha256, size: f.content.length, source, dag_id, runs, commit: 'c0', etag };
}

function manifest(entries: ManifestEntry[], pending?: Manifest['pending']): Manifest {
  return { version: 1, generator: 'test', commit: 'c0', entries, ...(pending ? { pending } : {}) };
}

const base = { invalidSources: [] as string[], commit: 'c1' };

describe('planSync', () => {
  it('creates, updates with a diff, deletes and leaves unchanged, sorted by key', () => {
    const a = file('a');
    const b = file('b');
    const b2 = file('b', '# b v2\n', 9);
    const c = file('c');
    const plan = planSync({
      ...base,
      desired: [c, b2, file('d')],
      manifest: manifest([owned(a), owned(b), owned(c)]),
      previousContent: new Map([['b.py', b.content]]),
    });
    expect(plan.files.map((f) => [f.key, f.action])).toEqual([
      ['a.py', 'delete'],
      ['b.py', 'update'],
      ['c.py', 'unchanged'],
      ['d.py', 'create'],
    ]);
    expect(plan.summary).toEqual({
      create: ['d'],
      update: ['b'],
      delete: ['a'],
      unchanged: ['c'],
      keep: [],
      repair: [],
    });
    const update = plan.files[1];
    expect(update?.expectedVersion).toBe(owned(b).etag);
    expect(update?.diff).toContain('-# b\n+# b v2');
    expect(plan.massDelete).toBe(false);
  });

  it('keeps the last DAG of an invalid config instead of deleting it', () => {
    const a = file('a');
    const plan = planSync({
      ...base,
      desired: [],
      manifest: manifest([owned(a)]),
      invalidSources: ['backtests/a.yaml'],
    });
    expect(plan.files[0]).toMatchObject({ action: 'keep', dag_id: 'a' });
    expect(plan.files[0]?.reason).toContain('invalid');
    expect(plan.summary.delete).toEqual([]);
    expect(plan.massDelete).toBe(false);
  });

  it('flags mass deletes above the share, counted in DAGs', () => {
    const files = ['a', 'b', 'c', 'd'].map((d) => file(d));
    const m = manifest(files.map((f) => owned(f)));
    expect(planSync({ ...base, desired: files.slice(0, 2), manifest: m }).massDelete).toBe(false);
    expect(planSync({ ...base, desired: files.slice(0, 1), manifest: m }).massDelete).toBe(true);
    expect(
      planSync({ ...base, desired: files.slice(0, 1), manifest: m, maxDeleteShare: 0.8 }).massDelete,
    ).toBe(false);
  });

  it('repairs drift seen in observed versions, only when observed is given', () => {
    const a = file('a');
    const b = file('b');
    const m = manifest([owned(a), owned(b)]);
    expect(planSync({ ...base, desired: [a, b], manifest: m }).summary.repair).toEqual([]);
    const plan = planSync({
      ...base,
      desired: [a, b],
      manifest: m,
      observed: new Map([['a.py', '"other"']]),
    });
    expect(plan.files.map((f) => [f.key, f.action, f.expectedVersion])).toEqual([
      ['a.py', 'repair', '"other"'],
      ['b.py', 'repair', null],
    ]);
  });

  it('plans pending keys from what they hold, read back: revert, restore, take over, refuse', () => {
    const a1 = file('a');
    const a2 = file('a', '# a v2\n');
    const b = file('b');
    const c = file('c');
    const m = manifest(
      [owned(a1), owned(b), owned(c)],
      [
        { key: 'a.py', sha256: a2.sha256 }, // an update that went through before the crash
        { key: 'b.py', sha256: null }, // a delete that went through
        { key: 'c.py', sha256: null }, // a delete, but c.py was hand-edited meanwhile
        { key: 'n.py', sha256: 'x' }, // a create that never happened
      ],
    );
    const unobserved = planSync({ ...base, desired: [a1, b, c], manifest: m });
    expect(unobserved.unobservedPending).toEqual(['a.py', 'b.py', 'c.py', 'n.py']);
    // The revert: a1 is wanted again, a2 is there; b is wanted and gone; c holds a stranger's bytes.
    const plan = planSync({
      ...base,
      desired: [a1, b, c],
      manifest: m,
      pendingObserved: new Map([
        ['a.py', { sha256: a2.sha256, version: '"a2"' }],
        ['b.py', null],
        ['c.py', { sha256: sha('hand fix'), version: '"h"' }],
        ['n.py', null],
      ]),
    });
    expect(plan.unobservedPending).toEqual([]);
    expect(plan.files.map((f) => [f.key, f.action, f.expectedVersion])).toEqual([
      ['a.py', 'update', '"a2"'],
      ['b.py', 'repair', undefined],
      ['c.py', 'conflict', undefined],
    ]);
    expect(plan.files[0]?.oursSha256).toEqual([a1.sha256, a2.sha256].sort());
    expect(plan.files[1]?.found).toBeNull();
    expect(plan.files[2]?.reason).toMatch(/neither the manifest nor an interrupted apply wrote/);
  });

  it('rejects two files with the same key', () => {
    expect(() => planSync({ ...base, desired: [file('a'), file('a')], manifest: null })).toThrow(/same key/);
    const reserved = { ...file('x'), key: '.backtest-gitops/manifest.json' };
    expect(() => planSync({ ...base, desired: [reserved], manifest: null })).toThrow(/bookkeeping/);
  });

  it('is deterministic, never touches unowned keys, and reaches a fixed point after apply', () => {
    const names = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), { maxLength: 7 });
    fc.assert(
      fc.property(names, names, fc.boolean(), (was, want, variant) => {
        const m = manifest(was.map((d) => owned(file(d))));
        const desired = want.map((d) => file(d, variant ? `# ${d} v2\n` : `# ${d}\n`));
        const plan = planSync({ ...base, desired, manifest: m, maxDeleteShare: 1 });
        const again = planSync({ ...base, desired: [...desired].reverse(), manifest: m, maxDeleteShare: 1 });
        expect(again.files).toEqual(plan.files);
        for (const f of plan.files) {
          if (f.action === 'delete' || f.action === 'update') expect(was).toContain(f.dag_id);
        }
        const after = nextManifest(m, {
          generator: 'test',
          commit: 'c1',
          upsert: desired.map((d) => owned(d)),
          remove: plan.files.filter((f) => f.action === 'delete').map((f) => f.key),
          addPending: [],
          resolvePending: [],
        });
        const second = planSync({ ...base, desired, manifest: after });
        expect(second.files.every((f) => f.action === 'unchanged')).toBe(true);
      }),
    );
  });
});
