import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BacktestSpec } from '../../src/config/types.js';
import { renderRepo } from '../../src/render/index.js';
import { type DagBagReport, probeDagBag } from '../support/airflow.js';
import { AIRFLOW_VENVS, projectRoot } from '../support/python.js';
import { generateCorpus } from './corpus.js';
import { dagProblems } from './expected-dag.js';
import { buildSpec, seedSpecs } from './spec-builder.js';
import { writeDagFolder } from './write-dag-folder.js';

// The seed's examples and 50 generated configs (multi-strategy, a 2,500-run grid, a strategy
// above max_map_length), rendered once and loaded in ONE DagBag per Airflow version.
// Plus a 10-run and a 10,000-run DAG, which must cost the scheduler about the same.
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const specs: BacktestSpec[] = [
  ...seedSpecs(),
  ...generateCorpus(50),
  buildSpec({ dag_id: 'runs_10', strategies: [{ param_grid: { lookback: range(10) } }] }),
  buildSpec({
    dag_id: 'runs_10000',
    strategies: [{ param_grid: { lookback: range(100), take_profit_pct: range(100).map((i) => i / 10) } }],
  }),
];
let folder = '';
const reports = new Map<string, DagBagReport>();

beforeAll(async () => {
  folder = await writeDagFolder(renderRepo(specs), 'corpus');
  // The template itself is a valid DAG (its sample payload), so it can be linted and imported as is.
  await copyFile(
    `${projectRoot}src/render/templates/backtest_dag.py`,
    join(folder, 'backtest_template_sample.py'),
  );
  for (const { venv } of AIRFLOW_VENVS) reports.set(venv, await probeDagBag(venv, folder));
});

afterAll(async () => {
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe.each(AIRFLOW_VENVS)('rendered corpus in $label', ({ venv }) => {
  it('imports with zero import errors, one DAG per config and none from the support package', () => {
    const report = reports.get(venv) as DagBagReport;
    expect(report.import_errors).toEqual({});
    const expected = [...specs.map((s) => s.dag_id), 'backtest_template_sample'];
    expect(Object.keys(report.dags).sort()).toEqual(expected.sort());
    expect(report.dags.backtest_template_sample?.serialization_error).toBeNull();
  });

  it('holds every DAG as designed: tasks, dependencies, one mapped instance per run with its environment', () => {
    const report = reports.get(venv) as DagBagReport;
    const problems = specs.flatMap((spec) => dagProblems(spec, report.dags[spec.dag_id]));
    expect(problems).toEqual([]);
  });

  it('splits grids above max_map_length into even parts of at most 1,024, all mapped over one runs task', () => {
    const report = reports.get(venv) as DagBagReport;
    const big = report.dags.corpus_grid_2500?.tasks ?? {};
    const parts = ['backtest_part_000', 'backtest_part_001', 'backtest_part_002'];
    expect(Object.keys(big).sort()).toEqual(['after', ...parts, 'before', 'runs']);
    expect(parts.map((id) => big[id]?.expand?.length)).toEqual([834, 834, 832]);
    // The last part's two spare map indexes hold no run; the operator skips them.
    expect(parts.map((id) => [big[id]?.padding, big[id]?.padding_skips])).toEqual([
      [0, null],
      [0, null],
      [2, true],
    ]);
    expect(parts.map((id) => big[id]?.expand_from)).toEqual(parts.map(() => ['runs']));
    const multi = report.dags.corpus_multi_chunked?.tasks ?? {};
    expect(Object.keys(multi).sort()).toEqual([
      'after',
      'before',
      'narrow.backtest',
      'narrow.runs',
      'wide.backtest_part_000',
      'wide.backtest_part_001',
      'wide.runs',
    ]);
    expect(multi['wide.backtest_part_001']?.expand).toHaveLength(550);
  });

  it('keeps the runs out of the serialized DAG: 10,000 runs add parts, not environments', () => {
    const report = reports.get(venv) as DagBagReport;
    const small = report.dags.runs_10;
    const large = report.dags.runs_10000;
    expect(large?.tasks.backtest_part_009?.expand).toHaveLength(1000);
    expect([small?.serialized_runs, large?.serialized_runs]).toEqual([0, 0]);
    // One run's environment alone is ~400 bytes; the 10,000-run DAG pays ~2 bytes a run
    // (nine more mapped parts), where it paid ~1,100 when the runs were expanded at parse.
    const perRun = ((large?.serialized_bytes ?? 0) - (small?.serialized_bytes ?? 0)) / 9990;
    expect(perRun).toBeGreaterThan(0);
    expect(perRun).toBeLessThan(3);
  });
});
