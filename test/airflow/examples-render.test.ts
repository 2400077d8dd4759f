import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfigDir } from '../../src/cli/read-config-dir.js';
import { type BacktestRun, type BacktestSpec, loadConfigRepo } from '../../src/config/index.js';
import { readWorkTreeCommits } from '../../src/git/index.js';
import { renderRepo, runEnvironment } from '../../src/render/index.js';
import { type DagBagReport, probeDagBag } from '../support/airflow.js';
import { childEnv } from '../support/child-env.js';
import { AIRFLOW_VENVS, projectRoot } from '../support/python.js';
import { runBacktestctl } from '../support/run-cli.js';
import { dagProblems } from './expected-dag.js';

// `backtestctl render --repo examples` into a folder, then that folder in a real DagBag of
// each Airflow version: what the CLI writes is what Airflow runs.
const examples = `${projectRoot}examples`;
let out = '';
let specs: BacktestSpec[] = [];
let renderOutput = '';
const reports = new Map<string, DagBagReport>();

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'render-examples-'));
  const result = await runBacktestctl(['render', '--repo', examples, '--out', out]);
  expect(result.code, result.stderr).toBe(0);
  renderOutput = result.stdout;
  // As `render` (and `apply`) read them: each config's last commit when git knows it.
  const commits = await readWorkTreeCommits(examples, childEnv);
  specs = loadConfigRepo(await readConfigDir(examples), { commits }).specs;
  for (const { venv } of AIRFLOW_VENVS) reports.set(venv, await probeDagBag(venv, out));
});

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe('backtestctl render', () => {
  it('writes exactly renderRepo(examples), DAGs and support package', async () => {
    expect(specs.length).toBeGreaterThanOrEqual(5);
    for (const file of renderRepo(specs)) {
      expect(await readFile(join(out, file.key), 'utf8')).toBe(file.content);
    }
    expect(renderOutput).toContain(`rendered ${specs.length} DAGs`);
  });

  it('exits 1 on invalid configs, prints file:line:column issues and writes nothing', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'render-invalid-'));
    try {
      await cp(examples, repo, { recursive: true });
      await writeFile(
        join(repo, 'backtests/broken.yaml'),
        'strategy_class: S\nstart_date: 2022-01-01\nend_date: 2022-12-31\nstop_los_pct: 5\n',
      );
      const target = join(repo, 'out');
      const result = await runBacktestctl(['render', '--repo', repo, '--out', target]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^backtests\/broken\.yaml:4:1: error\[unknown-key\]: /m);
      expect(existsSync(target)).toBe(false);
    } finally {
      await rm(repo, { recursive: true, force: true });
    }
  });
});

describe.each(AIRFLOW_VENVS)('rendered examples in $label', ({ venv }) => {
  it('import with zero errors and hold every DAG as designed', () => {
    const report = reports.get(venv) as DagBagReport;
    expect(report.import_errors).toEqual({});
    expect(Object.keys(report.dags).sort()).toEqual(specs.map((s) => s.dag_id).sort());
    expect(specs.flatMap((spec) => dagProblems(spec, report.dags[spec.dag_id]))).toEqual([]);
  });

  it('give every run the environment of `backtestctl expand`', async () => {
    const report = reports.get(venv) as DagBagReport;
    for (const spec of specs) {
      const expanded = await runBacktestctl([
        'expand',
        '--repo',
        examples,
        '--format',
        'json',
        join(examples, spec.source),
      ]);
      expect(expanded.code, expanded.stderr).toBe(0);
      const runs = (JSON.parse(expanded.stdout) as { runs: BacktestRun[] }).runs;
      const tasks = Object.values(report.dags[spec.dag_id]?.tasks ?? {}).filter((t) => t.mapped);
      const envs = tasks.flatMap((t) => t.expand ?? []).map((e) => e.environment);
      const byIndex = new Map(
        envs.map((env) => [Number(env.find((e) => e.name === 'BACKTEST_RUN_INDEX')?.value), env]),
      );
      expect(byIndex.size).toBe(runs.length);
      for (const run of runs) {
        const env = byIndex.get(run.index);
        expect(env).toEqual(runEnvironment(run, spec));
        expect(JSON.parse(env?.find((e) => e.name === 'BACKTEST_PARAMS')?.value ?? 'null')).toEqual(
          run.params,
        );
      }
    }
  });
});
