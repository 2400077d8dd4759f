import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PipelineDeployer, scopeToFolder } from '../../src/controller/pipeline-deployer.js';
import type { DeployRequest } from '../../src/controller/ports.js';
import { LocalDirDagStore } from '../../src/targets/local-dir-dag-store.js';
import { memoryLogger } from '../support/controller-fakes.js';
import { backtestConfig } from './fixtures.js';

/** The deploy step on a real local folder target, with commits as in-memory file maps. */
const dir = mkdtempSync(join(tmpdir(), 'btg-deployer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setup(name: string) {
  const commits = new Map<string, Map<string, string>>();
  const target = join(dir, name);
  const deployer = new PipelineDeployer({
    reader: { readConfigFiles: async (sha) => new Map(commits.get(sha)) },
    openStore: async () => new LocalDirDagStore(target),
    configPath: '.',
    maxDeleteShare: 0.5,
    allowMassDelete: false,
  });
  const { log, lines } = memoryLogger();
  const ctx = { signal: new AbortController().signal, log };
  const deploy = (commit: string, extra: Partial<DeployRequest> = {}) =>
    deployer.deploy({ commit, checkDrift: false, drift: 'report', dryRun: false, ...extra }, ctx);
  return { commits, target, deploy, lines };
}

const files = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe('PipelineDeployer', () => {
  it('creates, then does nothing for an unchanged commit, then updates and deletes', async () => {
    const h = setup('basic');
    h.commits.set(
      'c1',
      files({ 'backtests/a.yaml': backtestConfig(1), 'backtests/b.yaml': backtestConfig(2) }),
    );
    const first = await h.deploy('c1');
    expect(first.applied).toBe(true);
    expect(first.dagsManaged).toBe(2);
    expect(first.report.dags.map((d) => [d.dag_id, d.action])).toEqual([
      ['a', 'create'],
      ['b', 'create'],
    ]);
    expect(first.report.ok).toBe(true);
    const again = await h.deploy('c1');
    expect(again.applied).toBe(false);
    expect(again.operations).toEqual({ create: 0, update: 0, delete: 0, repair: 0 });

    h.commits.set('c2', files({ 'backtests/a.yaml': backtestConfig(1, 20) }));
    const second = await h.deploy('c2');
    expect(second.operations).toEqual({ create: 0, update: 1, delete: 1, repair: 0 });
    expect(second.dagsManaged).toBe(1);
  });

  it('keeps the last good DAG of a config that became invalid, and reports it', async () => {
    const h = setup('invalid');
    h.commits.set(
      'c1',
      files({ 'backtests/a.yaml': backtestConfig(1), 'backtests/b.yaml': backtestConfig(2) }),
    );
    await h.deploy('c1');
    const good = readFileSync(join(h.target, 'a.py'), 'utf8');
    h.commits.set(
      'c2',
      files({ 'backtests/a.yaml': 'strategy_class: [', 'backtests/b.yaml': backtestConfig(2) }),
    );
    const result = await h.deploy('c2');
    expect(result.report.kept_invalid).toEqual(['backtests/a.yaml']);
    expect(readFileSync(join(h.target, 'a.py'), 'utf8')).toBe(good);
    expect(h.lines.some((l) => JSON.parse(l).file === 'backtests/a.yaml')).toBe(true);
  });

  it('detects drift when a check is due, reporting or repairing as configured', async () => {
    const h = setup('drift');
    h.commits.set('c1', files({ 'backtests/a.yaml': backtestConfig(1) }));
    await h.deploy('c1');
    const path = join(h.target, 'a.py');
    const good = readFileSync(path, 'utf8');
    writeFileSync(path, '# edited by hand\n');
    const reported = await h.deploy('c1', { checkDrift: true, drift: 'report' });
    expect(reported.driftDetected).toBe(1);
    expect(reported.applied).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('# edited by hand\n');
    const repaired = await h.deploy('c1', { checkDrift: true, drift: 'repair' });
    expect(repaired.operations.repair).toBe(1);
    expect(readFileSync(path, 'utf8')).toBe(good);
  });

  it('writes nothing when suspended (dryRun) but says what it would do', async () => {
    const h = setup('suspended');
    h.commits.set('c1', files({ 'backtests/a.yaml': backtestConfig(1) }));
    const result = await h.deploy('c1', { dryRun: true });
    expect(result.applied).toBe(false);
    expect(result.operations.create).toBeGreaterThanOrEqual(1);
    expect(() => readFileSync(join(h.target, 'a.py'))).toThrow();
  });

  it('refuses a mass delete', async () => {
    const h = setup('mass');
    h.commits.set(
      'c1',
      files({
        'backtests/a.yaml': backtestConfig(1),
        'backtests/b.yaml': backtestConfig(2),
        'backtests/c.yaml': backtestConfig(3),
      }),
    );
    await h.deploy('c1');
    h.commits.set('c2', files({}));
    await expect(h.deploy('c2')).rejects.toMatchObject({ name: 'SafetyError', code: 'mass-delete' });
  });

  it('skips validate, render and the manifest read when the stored render digest matches (one look at the manifest)', async () => {
    const commits = new Map<string, Map<string, string>>();
    const store = new LocalDirDagStore(join(dir, 'noop'));
    const calls = { head: 0, read: 0 };
    const counting = Object.assign(Object.create(store) as LocalDirDagStore, {
      headManifest: () => {
        calls.head++;
        return store.headManifest();
      },
      readManifest: () => {
        calls.read++;
        return store.readManifest();
      },
    });
    const deployer = new PipelineDeployer({
      reader: { readConfigFiles: async (sha) => new Map(commits.get(sha)) },
      openStore: async () => counting,
      configPath: '.',
      maxDeleteShare: 0.5,
      allowMassDelete: false,
    });
    const ctx = { signal: new AbortController().signal, log: memoryLogger().log };
    const deploy = (commit: string, extra: Partial<DeployRequest> = {}) =>
      deployer.deploy({ commit, checkDrift: false, drift: 'repair', dryRun: false, ...extra }, ctx);
    commits.set(
      'c1',
      files({ 'backtests/a.yaml': backtestConfig(1), 'backtests/b.yaml': backtestConfig(2) }),
    );
    expect((await deploy('c1')).dagsManaged).toBe(2);
    // A new commit that leaves the configs alone: one look at the manifest, nothing read or planned.
    commits.set('c2', new Map(commits.get('c1')));
    const before = { ...calls };
    const skipped = await deploy('c2');
    expect(calls.head - before.head).toBe(1);
    expect(calls.read - before.read).toBe(0);
    expect(skipped).toMatchObject({ applied: false, dagsManaged: 2, driftDetected: 0 });
    expect(skipped.report).toMatchObject({ ok: true, kept_invalid: [] });
    expect(skipped.report.summary).toContain('up to date');

    // A changed config takes the full path.
    commits.set(
      'c3',
      files({ 'backtests/a.yaml': backtestConfig(1, 20), 'backtests/b.yaml': backtestConfig(2) }),
    );
    expect((await deploy('c3')).operations).toMatchObject({ update: 1 });
    // A due drift check looks at every file: a hand-deleted DAG is repaired.
    rmSync(join(dir, 'noop', 'a.py'));
    const unseen = await deploy('c3');
    expect(unseen.operations.repair).toBe(0);
    const repaired = await deploy('c3', { checkDrift: true });
    expect(repaired.operations.repair).toBe(1);
    expect(readFileSync(join(dir, 'noop', 'a.py'), 'utf8')).toContain('DAG');
    const after = { ...calls };
    await deploy('c3');
    expect([calls.head - after.head, calls.read - after.read]).toEqual([1, 0]);
  });

  it('polling an unchanged commit reads its configs once: later polls are one HEAD each', async () => {
    const commits = new Map<string, Map<string, string>>();
    const reads = { files: 0, lastCommits: 0 };
    const target = join(dir, 'poll');
    const deployer = new PipelineDeployer({
      reader: {
        readConfigFiles: async (sha) => {
          reads.files++;
          return new Map(commits.get(sha));
        },
        lastCommits: async (sha) => {
          reads.lastCommits++;
          return new Map([...(commits.get(sha)?.keys() ?? [])].map((path) => [path, sha.padEnd(40, '0')]));
        },
      },
      openStore: async () => new LocalDirDagStore(target),
      configPath: '.',
      maxDeleteShare: 0.5,
      allowMassDelete: false,
    });
    const ctx = { signal: new AbortController().signal, log: memoryLogger().log };
    const deploy = (commit: string, extra: Partial<DeployRequest> = {}) =>
      deployer.deploy({ commit, checkDrift: false, drift: 'report', dryRun: false, ...extra }, ctx);
    commits.set('c1', files({ 'backtests/a.yaml': backtestConfig(1) }));
    expect((await deploy('c1')).applied).toBe(true);
    expect(reads).toEqual({ files: 1, lastCommits: 1 });
    for (let poll = 0; poll < 3; poll++) expect((await deploy('c1')).applied).toBe(false);
    expect(reads).toEqual({ files: 1, lastCommits: 1 });

    // A hand-deleted DAG: the remembered digest still matches, so only a due drift check,
    // which reads the configs again, repairs it.
    rmSync(join(target, 'a.py'));
    expect((await deploy('c1', { checkDrift: true, drift: 'repair' })).operations.repair).toBe(1);
    expect(reads).toEqual({ files: 2, lastCommits: 2 });

    // A new commit is read (once), and deployed.
    commits.set('c2', files({ 'backtests/a.yaml': backtestConfig(1, 20) }));
    expect((await deploy('c2')).operations.update).toBe(1);
    await deploy('c2');
    expect(reads).toEqual({ files: 3, lastCommits: 3 });
  });

  it('reads configs from a folder of the repository', () => {
    const scoped = scopeToFolder(
      files({ 'research/backtests/a.yaml': 'x', 'other/b.yaml': 'y' }),
      './research/',
    );
    expect([...scoped.keys()]).toEqual(['backtests/a.yaml']);
  });
});
