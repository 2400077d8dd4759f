import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readConfigDir } from '../cli/read-config-dir.js';
import { applyPlan } from '../targets/apply-plan.js';
import { LocalDirDagStore } from '../targets/local-dir-dag-store.js';
import { prepareSync } from './prepare-sync.js';

const examples = new URL('../../examples/', import.meta.url).pathname;

describe('prepareSync: the one pipeline', () => {
  let dir: string;
  let store: LocalDirDagStore;
  let files: Map<string, string>;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'btg-prepare-'));
    store = new LocalDirDagStore(dir);
    files = new Map(await readConfigDir(examples));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('plans every DAG as new on an empty target; applied, the same input plans no change', async () => {
    const first = await prepareSync({ files, store, commit: 'c1' });
    expect(first.config.invalidFiles).toEqual([]);
    expect(first.current).toBeNull();
    const dags = first.desired.filter((d) => d.dag_id !== null).map((d) => d.dag_id);
    expect(first.plan.summary.create).toEqual(expect.arrayContaining(dags as string[]));
    expect((await applyPlan(first.plan, first.desired, store)).ok).toBe(true);

    const again = await prepareSync({ files, store, commit: 'c1' });
    expect(again.current?.manifest.commit).toBe('c1');
    expect(again.plan.files.filter((f) => f.action !== 'unchanged')).toEqual([]);
  });

  it('counts drift in report mode without planning a repair, plans it in repair mode, and diffs updates on request', async () => {
    const first = await prepareSync({ files, store, commit: 'c1' });
    await applyPlan(first.plan, first.desired, store);
    await writeFile(join(dir, 'single_backtest.py'), '# edited by hand\n');
    const grid = [...files.keys()].find((k) => k.endsWith('grid_search.yaml')) as string;
    files.set(grid, (files.get(grid) as string).replace(/^description: .*$/m, 'description: changed'));

    const reported = await prepareSync({ files, store, commit: 'c2', drift: 'report' });
    expect(reported.driftDetected).toBe(1);
    expect(reported.plan.files.filter((f) => f.action === 'repair')).toEqual([]);

    const repaired = await prepareSync({ files, store, commit: 'c2', drift: 'repair' });
    expect(repaired.plan.files.filter((f) => f.action === 'repair').map((f) => f.key)).toEqual([
      'single_backtest.py',
    ]);

    const off = await prepareSync({ files, store, commit: 'c2', diffs: true });
    expect(off.driftDetected).toBe(0);
    const update = off.plan.files.find((f) => f.key === 'grid_search.py');
    expect(update?.action).toBe('update');
    expect(update?.diff).toContain('+');
  });
});
