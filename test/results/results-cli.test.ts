import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot, venvBin } from '../support/python.js';
import { runBacktestctl } from '../support/run-cli.js';
import { independentDsr } from './independent-dsr.js';

const SAMPLES = join(projectRoot, 'examples/results');
const RUN_DIR = join(SAMPLES, 'backtests/grid_search/manual__2026-01-05T09.00.00/grid_search');

interface Sample {
  name: string;
  tp: number;
  sl: number;
  sharpe: number;
  n: number;
  skew: number;
  kurtosis: number;
}

/** The sample files as read here, without the project's reader. */
function samples(): Sample[] {
  return readdirSync(RUN_DIR)
    .filter((name) => readdirSync(join(RUN_DIR, name)).includes('metrics.json'))
    .map((name) => {
      const doc = JSON.parse(readFileSync(join(RUN_DIR, name, 'metrics.json'), 'utf8'));
      return {
        name,
        tp: doc.run.params.take_profit_pct,
        sl: doc.run.params.stop_loss_pct,
        sharpe: doc.metrics.sharpe,
        n: doc.n_observations,
        skew: doc.skew,
        kurtosis: doc.kurtosis,
      };
    });
}

function expectedDsr(all: Sample[], trials: number): number {
  return independentDsr(all, trials);
}

const temp: string[] = [];
afterAll(() => {
  for (const dir of temp) rmSync(dir, { recursive: true, force: true });
});

describe('backtestctl results --from DIR (the bundled sample results)', () => {
  it('ranks the runs, names the one without metrics, and computes the DSR over the 9 combinations', async () => {
    const res = await runBacktestctl(['results', '--from', SAMPLES, '--format', 'json']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(1); // run-00007 has no metrics.json
    const [summary] = JSON.parse(res.stdout);
    const expected = samples().sort((a, b) => b.sharpe - a.sharpe);
    expect(summary.ranked.map((r: { name: string }) => r.name)).toEqual(expected.map((s) => s.name));
    expect(summary.unranked).toEqual([
      expect.objectContaining({ name: 'run-00007', reason: 'no metrics.json' }),
    ]);
    expect(summary.trials).toBe(9);
    expect(summary.overfitting.kind).toBe('computed');
    expect(summary.overfitting.dsr).toBeCloseTo(expectedDsr(samples(), 9), 4);
    // The heatmap cell of every sample holds its own Sharpe ratio.
    for (const s of samples()) {
      const row = summary.heatmap.rows.indexOf(s.tp);
      const column = summary.heatmap.columns.indexOf(s.sl);
      expect(summary.heatmap.cells[row][column].value).toBe(s.sharpe);
    }
  });

  it('prints the same summary as text, markdown and CSV', async () => {
    const best = samples().sort((a, b) => b.sharpe - a.sharpe)[0] as Sample;
    const text = await runBacktestctl(['results', '--from', SAMPLES]);
    expect(text.stdout.split('\n')[0]).toBe(
      'grid_search (run manual__2026-01-05T09.00.00): 9/9 done, 0 failed, 1 without readable metrics',
    );
    expect(text.stdout).toMatch(/best Sharpe .* over 9 combinations: DSR 0\.\d\d, not significant at 0\.95/);
    const md = await runBacktestctl(['results', '--from', SAMPLES, '--format', 'markdown']);
    expect(md.stdout).toContain('| take_profit_pct ↓ · stop_loss_pct → | **3** | **5** | **8** |');
    expect(md.stdout).toContain(
      `best sharpe ${best.sharpe} (take_profit_pct=${best.tp}, stop_loss_pct=${best.sl})`,
    );
    const csv = await runBacktestctl(['results', '--from', SAMPLES, '--format', 'csv']);
    const lines = csv.stdout.trimEnd().split('\r\n');
    expect(lines).toHaveLength(10);
    expect(lines[1]?.startsWith(`1,${best.name},grid_search,`)).toBe(true);
  });

  it('reports a malformed metrics.json by run name and ranks the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'results-'));
    temp.push(dir);
    cpSync(SAMPLES, dir, { recursive: true });
    writeFileSync(
      join(dir, 'backtests/grid_search/manual__2026-01-05T09.00.00/grid_search/run-00003/metrics.json'),
      '{"metrics": {"sharpe": ',
    );
    const res = await runBacktestctl(['results', '--from', dir, '--format', 'json']);
    const [summary] = JSON.parse(res.stdout);
    expect(summary.ranked).toHaveLength(7);
    expect(
      summary.unranked.map((u: { name: string; reason: string }) => `${u.name}: ${u.reason.slice(0, 32)}`),
    ).toEqual(['run-00003: metrics.json is malformed: not J', 'run-00007: no metrics.json']);
  });

  it('ranks by another objective when asked, and refuses a folder without results', async () => {
    const res = await runBacktestctl([
      'results',
      '--from',
      SAMPLES,
      '--objective',
      'total_return',
      '--format',
      'json',
    ]);
    const [summary] = JSON.parse(res.stdout);
    const returns = summary.ranked.map((r: { objective: number }) => r.objective);
    expect(returns).toEqual([...returns].sort((a, b) => b - a));
    const empty = mkdtempSync(join(tmpdir(), 'results-'));
    temp.push(empty);
    const none = await runBacktestctl(['results', '--from', empty]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no run folders under');
  });
});

describe('examples/results', () => {
  it('is what examples/results/generate.py writes with the real helper (regenerate: python3 examples/results/generate.py)', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const dir = mkdtempSync(join(tmpdir(), 'samples-'));
    temp.push(dir);
    cpSync(join(SAMPLES, 'generate.py'), join(dir, 'generate.py'));
    // generate.py finds the support package two folders up, as in the repository.
    const nested = join(dir, 'examples', 'results');
    cpSync(SAMPLES, nested, { recursive: true });
    rmSync(join(nested, 'backtests'), { recursive: true, force: true });
    cpSync(join(projectRoot, 'src/render/templates'), join(dir, 'src/render/templates'), { recursive: true });
    await promisify(execFile)(venvBin('tools', 'python'), [join(nested, 'generate.py')]);
    for (const name of readdirSync(RUN_DIR)) {
      for (const file of readdirSync(join(RUN_DIR, name))) {
        const written = readFileSync(
          join(nested, 'backtests/grid_search/manual__2026-01-05T09.00.00/grid_search', name, file),
          'utf8',
        );
        expect(written, `${name}/${file}`).toBe(readFileSync(join(RUN_DIR, name, file), 'utf8'));
      }
    }
  });
});
