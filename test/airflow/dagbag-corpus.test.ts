import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BacktestSpec } from '../../src/config/types.js';
import { renderRepo } from '../../src/render/index.js';
import { type DagBagReport, probeDagBag } from '../support/airflow.js';
import { AIRFLOW_VENVS, projectRoot } from '../support/python.js';
import { generateCorpus } from './corpus.js';
import { dagProblems } from './expected-dag.js';
import { seedSpecs } from './spec-builder.js';
import { writeDagFolder } from './write-dag-folder.js';

// The seed's examples and 50 generated configs (multi-strategy, a 2,500-run grid, a strategy
// above max_map_length), rendered once and loaded in ONE DagBag per Airflow version.
const specs: BacktestSpec[] = [...seedSpecs(), ...generateCorpus(50)];
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

  it('splits grids above max_map_length into parts of at most 1,024', () => {
    const report = reports.get(venv) as DagBagReport;
    const big = report.dags.corpus_grid_2500?.tasks ?? {};
    expect(Object.keys(big).sort()).toEqual([
      'after',
      'backtest_part_000',
      'backtest_part_001',
      'backtest_part_002',
      'before',
    ]);
    expect(
      ['backtest_part_000', 'backtest_part_001', 'backtest_part_002'].map((id) => big[id]?.expand?.length),
    ).toEqual([1024, 1024, 452]);
    const multi = report.dags.corpus_multi_chunked?.tasks ?? {};
    expect(Object.keys(multi).sort()).toEqual([
      'after',
      'before',
      'narrow.backtest',
      'wide.backtest_part_000',
      'wide.backtest_part_001',
    ]);
  });
});
