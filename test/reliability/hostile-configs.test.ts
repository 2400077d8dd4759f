import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktestctl } from '../support/run-cli.js';
import { hostileCorpus } from './hostile-corpus.js';

const GOOD = `strategy_class: LongShortEquityStrategy
start_date: 2022-01-01
end_date: 2022-12-31
factors: [DebtToEquity]
param_grid:
  take_profit_pct: [5.0, 10.0]
`;

interface ValidateJson {
  ok: boolean;
  configs: { file: string; dag_id: string; runs: number }[];
  errors: { file: string; line: number; column: number; code: string; message: string }[];
}

describe('hostile config corpus', () => {
  let repo: string;
  let target: string;
  const corpus = hostileCorpus();

  beforeAll(async () => {
    repo = await mkdtemp(join(tmpdir(), 'bg-hostile-'));
    target = join(repo, 'out');
    for (const file of corpus) {
      await mkdir(dirname(join(repo, file.path)), { recursive: true });
      await writeFile(join(repo, file.path), file.content);
    }
    await writeFile(join(repo, 'backtests/good.yaml'), GOOD);
  });
  afterAll(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  it('has at least 60 hostile files', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(60);
  });

  it('rejects every hostile file with its file, line and column', async () => {
    const run = await runBacktestctl(['validate', '--repo', repo, '--format', 'json']);
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as ValidateJson;
    const errorsByFile = new Map<string, ValidateJson['errors']>();
    for (const e of result.errors) errorsByFile.set(e.file, [...(errorsByFile.get(e.file) ?? []), e]);
    const missed = corpus.filter((f) => !errorsByFile.get(f.path)?.length).map((f) => `${f.path} (${f.why})`);
    expect(missed).toEqual([]);
    for (const errors of errorsByFile.values()) {
      for (const e of errors) {
        expect(e.line).toBeGreaterThanOrEqual(1);
        expect(e.column).toBeGreaterThanOrEqual(1);
        expect(e.code).toMatch(/^[a-z0-9-]+$/);
      }
    }
    // The one good file is still valid, and no hostile file produced a config.
    expect(result.configs.map((c) => c.file)).toEqual(['backtests/good.yaml']);
    // Error messages never echo megabytes of input back.
    expect(run.stdout.length).toBeLessThan(200_000);
  });

  it('deploys nothing from the hostile files and the good one still deploys', async () => {
    const run = await runBacktestctl(['apply', '--repo', repo, '--target', target, '--yes']);
    // Invalid configs make apply report failure, but the valid DAG is applied.
    expect([0, 1]).toContain(run.code);
    const files = await readdir(target, { recursive: true });
    const dags = files.filter((f) => f.endsWith('.py') && !f.startsWith('backtest_gitops_support'));
    expect(dags).toEqual(['good.py']);
    // Nothing was written outside the target (path traversal).
    const repoTop = await readdir(repo);
    expect(repoTop.sort()).toEqual(['backtests', 'out']);
  });
});
