import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBacktestctl } from '../../../test/support/run-cli.js';

const examples = fileURLToPath(new URL('../../../examples', import.meta.url));

const run = (args: string[], cwd: string) => runBacktestctl(args, { cwd, env: {} });

describe('backtestctl plan/apply to a local DAG folder', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'btg-cli-local-'));
    await cp(examples, join(dir, 'repo'), { recursive: true });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('renders examples into ./out/dags, then plans no change, leaving unowned files alone', async () => {
    await writeFile(join(dir, 'notes.txt'), 'x');
    const plan = await run(['plan', '--repo', 'repo', '--target', './out/dags', '--format', 'json'], dir);
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout).create).toEqual([
      'factor_comparison_2023',
      'grid_search',
      'mixed_grid',
      'single_backtest',
      'with_callbacks',
    ]);
    await writeFile(join(dir, 'out-unowned.py'), 'x');
    const apply = await run(['apply', '--repo', 'repo', '--target', './out/dags'], dir);
    expect(apply.code, apply.stderr).toBe(0);
    await writeFile(join(dir, 'out/dags/my_own_dag.py'), '# mine\n');
    const files = await readdir(join(dir, 'out/dags'));
    expect(files).toContain('grid_search.py');
    const again = await run(['plan', '--repo', 'repo', '--target', './out/dags', '--format', 'json'], dir);
    expect(JSON.parse(again.stdout)).toMatchObject({ create: [], update: [], delete: [] });

    await rm(join(dir, 'repo/backtests/grid_search.yaml'));
    const del = await run(['apply', '--repo', 'repo', '--target', './out/dags'], dir);
    expect(del.stdout).toContain('- delete grid_search');
    expect(await readdir(join(dir, 'out/dags'))).not.toContain('grid_search.py');
    expect(await readFile(join(dir, 'out/dags/my_own_dag.py'), 'utf8')).toBe('# mine\n');
  });

  it('finds drift only with --check-drift and repairs it on apply', async () => {
    await run(['apply', '--repo', 'repo', '--target', 'out'], dir);
    await writeFile(join(dir, 'out/mixed_grid.py'), '# edited by hand\n');
    await rm(join(dir, 'out/single_backtest.py'));
    expect(
      JSON.parse((await run(['plan', '--repo', 'repo', '--target', 'out', '--format', 'json'], dir)).stdout)
        .repair,
    ).toEqual([]);
    const plan = await run(
      ['plan', '--repo', 'repo', '--target', 'out', '--format', 'json', '--check-drift'],
      dir,
    );
    expect(JSON.parse(plan.stdout).repair).toEqual(['mixed_grid', 'single_backtest']);
    const apply = await run(['apply', '--repo', 'repo', '--target', 'out', '--check-drift'], dir);
    expect(apply.code).toBe(0);
    expect(await readFile(join(dir, 'out/mixed_grid.py'), 'utf8')).toContain('mixed_grid');
    expect(await readdir(join(dir, 'out'))).toContain('single_backtest.py');
  });

  it('prints progress for large applies, about every 10%', async () => {
    const single = await readFile(join(dir, 'repo/backtests/single_backtest.yaml'), 'utf8');
    for (let i = 0; i < 30; i++) {
      await writeFile(join(dir, `repo/backtests/extra_${i}.yaml`), `dag_id: extra_${i}\n${single}`);
    }
    const r = await run(['apply', '--repo', 'repo', '--target', 'out', '--concurrency', '4'], dir);
    expect(r.code, r.stderr).toBe(0);
    const progress = r.stderr.split('\n').filter((l) => /^ {2}\d+\/37 files/.test(l));
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(progress.length).toBeLessThanOrEqual(11);
    expect(progress.at(-1)).toBe('  37/37 files (100%)');
    const bad = await run(['apply', '--repo', 'repo', '--target', 'out', '--concurrency', 'lots'], dir);
    expect(bad.code).toBe(2);
  });

  it('rejects a --wait-seconds that is not a number before changing anything', async () => {
    const r = await run(['apply', '--repo', 'repo', '--target', 'out', '--wait-seconds', '5m'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--wait-seconds must be a number of seconds');
    await expect(readdir(join(dir, 'out'))).rejects.toThrow(/ENOENT/);
  });

  it('rejects an unknown target scheme as a usage error', async () => {
    const r = await run(['plan', '--repo', 'repo', '--target', 'gs://bucket/dags'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown target scheme gs://');
  });
});
