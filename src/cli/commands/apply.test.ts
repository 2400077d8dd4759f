import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBacktestctl } from '../../../test/support/run-cli.js';

const examples = fileURLToPath(new URL('../../../examples', import.meta.url));

const run = (args: string[], cwd: string) => runBacktestctl(args, { cwd, env: {} });

// Real files, git and the first (lazy) load of render and plan: seconds on a busy machine.
describe('backtestctl plan/apply to a local DAG folder', { timeout: 30_000 }, () => {
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
    const apply = await run(['apply', '--repo', 'repo', '--target', './out/dags', '--yes'], dir);
    expect(apply.code, apply.stderr).toBe(0);
    await writeFile(join(dir, 'out/dags/my_own_dag.py'), '# mine\n');
    const files = await readdir(join(dir, 'out/dags'));
    expect(files).toContain('grid_search.py');
    const again = await run(['plan', '--repo', 'repo', '--target', './out/dags', '--format', 'json'], dir);
    expect(JSON.parse(again.stdout)).toMatchObject({ create: [], update: [], delete: [] });

    await rm(join(dir, 'repo/backtests/grid_search.yaml'));
    const del = await run(['apply', '--repo', 'repo', '--target', './out/dags', '--yes'], dir);
    expect(del.stdout).toContain('- delete grid_search');
    expect(await readdir(join(dir, 'out/dags'))).not.toContain('grid_search.py');
    expect(await readFile(join(dir, 'out/dags/my_own_dag.py'), 'utf8')).toBe('# mine\n');
  });

  it('finds drift only with --check-drift and repairs it on apply', async () => {
    await run(['apply', '--repo', 'repo', '--target', 'out', '--yes'], dir);
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
    const apply = await run(['apply', '--repo', 'repo', '--target', 'out', '--check-drift', '--yes'], dir);
    expect(apply.code).toBe(0);
    expect(await readFile(join(dir, 'out/mixed_grid.py'), 'utf8')).toContain('mixed_grid');
    expect(await readdir(join(dir, 'out'))).toContain('single_backtest.py');
  });

  it('prints progress for large applies, about every 10%', async () => {
    const single = await readFile(join(dir, 'repo/backtests/single_backtest.yaml'), 'utf8');
    for (let i = 0; i < 30; i++) {
      await writeFile(join(dir, `repo/backtests/extra_${i}.yaml`), `dag_id: extra_${i}\n${single}`);
    }
    const r = await run(['apply', '--repo', 'repo', '--target', 'out', '--concurrency', '4', '--yes'], dir);
    expect(r.code, r.stderr).toBe(0);
    const progress = r.stderr.split('\n').filter((l) => /^ {2}\d+\/37 files/.test(l));
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(progress.length).toBeLessThanOrEqual(11);
    expect(progress.at(-1)).toBe('  37/37 files (100%)');
    const bad = await run(
      ['apply', '--repo', 'repo', '--target', 'out', '--concurrency', 'lots', '--yes'],
      dir,
    );
    expect(bad.code).toBe(2);
  });

  it('rejects a --wait-seconds that is not a number before changing anything', async () => {
    const r = await run(['apply', '--repo', 'repo', '--target', 'out', '--wait-seconds', '5m', '--yes'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--wait-seconds must be a number of seconds');
    await expect(readdir(join(dir, 'out'))).rejects.toThrow(/ENOENT/);
  });

  it('without a terminal, apply needs --yes and refuses before reading or writing anything', async () => {
    const r = await run(['apply', '--repo', 'repo', '--target', 'out'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('there is no terminal to ask on');
    expect(r.stderr).toContain('hint: pass --yes');
    await expect(readdir(join(dir, 'out'))).rejects.toThrow(/ENOENT/);
  });

  it('plan --detailed-exitcode: 2 when apply would change something, 0 when not, 1 on any error', async () => {
    const changes = await run(['plan', '--repo', 'repo', '--target', 'out', '--detailed-exitcode'], dir);
    expect(changes.code, changes.stderr).toBe(2);
    expect(changes.stdout).toContain('+ create grid_search');
    expect((await run(['plan', '--repo', 'repo', '--target', 'out'], dir)).code).toBe(0);
    await run(['apply', '--repo', 'repo', '--target', 'out', '--yes'], dir);
    const none = await run(['plan', '--repo', 'repo', '--target', 'out', '--detailed-exitcode'], dir);
    expect(none.code, none.stderr).toBe(0);
    // A usage error is 2 without the flag and 1 with it (2 means "changes" there).
    const bad = ['plan', '--repo', 'repo', '--target', 'gs://bucket/dags'];
    expect((await run(bad, dir)).code).toBe(2);
    expect((await run([...bad, '--detailed-exitcode'], dir)).code).toBe(1);
    await writeFile(join(dir, 'repo/backtests/broken.yaml'), 'strategy_class: [\n');
    expect((await run(['plan', '--repo', 'repo', '--target', 'out', '--detailed-exitcode'], dir)).code).toBe(
      1,
    );
  });

  it('finds the repo root upward from the working directory, as git does', async () => {
    const fromBelow = await run(
      ['plan', '--target', '../../out', '--format', 'json'],
      join(dir, 'repo/backtests'),
    );
    expect(fromBelow.code, fromBelow.stderr).toBe(0);
    expect(JSON.parse(fromBelow.stdout).create).toContain('grid_search');
    const expand = await run(['expand', 'mixed_grid.yaml', '--format', 'json'], join(dir, 'repo/backtests'));
    expect(expand.code, expand.stderr).toBe(0);
    expect(JSON.parse(expand.stdout).runs).toHaveLength(9);
    // From outside the repo, the FILE argument's folder is where the search starts.
    const outside = await run(['expand', 'repo/backtests/mixed_grid.yaml'], dir);
    expect(outside.code, outside.stderr).toBe(0);
    expect((await run(['validate', 'repo/backtests/mixed_grid.yaml'], dir)).stdout).toBe(
      '1 configs, 9 runs, 0 errors\n',
    );
  });

  it('rejects an unknown target scheme as a usage error', async () => {
    const r = await run(['plan', '--repo', 'repo', '--target', 'gs://bucket/dags'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown target scheme gs://');
  });
});
