/**
 * DagBag parse time of N rendered backtest DAGs vs the same backtests written as
 * dag-factory 0.22 YAML DAGs (one loader .py per YAML, the usual dag-factory layout), in
 * the same Airflow 2.11 process. The scheduler re-parses every DAG file about every 30 s,
 * so this is the recurring cost each approach puts on MWAA. A figure, not a test:
 *   npx tsx bench/dag-parse.ts [N] [ROUNDS]
 * Without N: N = 100 / 1,000 / 5,000 (BENCH_QUICK=1: 100 only), 3 rounds at 100 and 1 above;
 * dag-factory only up to 1,000 DAGs (one round of it at 5,000 takes many minutes).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { BacktestSpec } from '../src/config/types.js';
import { buildDagPayload, renderRepo } from '../src/render/index.js';
import { generateCorpus } from '../test/airflow/corpus.js';
import { expectedBatchTasks } from '../test/airflow/expected-dag.js';
import { writeDagFolder } from '../test/airflow/write-dag-folder.js';
import { airflowEnv } from '../test/support/airflow.js';
import { projectRoot, venvBin } from '../test/support/python.js';
import { benchSizes } from './build-cli.js';

const run = promisify(execFile);
const SIZES = process.argv[2] ? [Number(process.argv[2])] : benchSizes();
const FACTORY_MAX = 1000;

/** The same DAG as dag-factory YAML: before -> one mapped BatchOperator per part -> after. */
function dagFactoryYaml(spec: BacktestSpec, noopFile: string): string {
  const payload = buildDagPayload(spec);
  const python = (extra: Record<string, unknown> = {}) => ({
    operator: 'airflow.operators.python.PythonOperator',
    python_callable_name: 'noop',
    python_callable_file: noopFile,
    ...extra,
  });
  const tasks: Record<string, unknown> = { before: python() };
  const batchIds: string[] = [];
  for (const task of expectedBatchTasks(spec)) {
    const strategy =
      payload.strategies.find((s) => task.task_id.startsWith(`${s.group_id ?? ''}`)) ?? payload.strategies[0];
    const id = task.task_id.replace('.', '__');
    batchIds.push(id);
    tasks[id] = {
      operator: 'airflow.providers.amazon.aws.operators.batch.BatchOperator',
      partial: {
        job_name: strategy?.job_name_prefix ?? spec.dag_id,
        job_queue: strategy?.job_queue ?? '{{ var.value.batch_job_queue }}',
        job_definition: strategy?.job_definition ?? '{{ var.value.batch_job_definition }}',
        retries: spec.retries,
        retry_exponential_backoff: true,
        retry_strategy: {
          attempts: spec.batch_attempts,
          evaluateOnExit: [
            { onStatusReason: 'Host EC2*', action: 'RETRY' },
            { onReason: '*', action: 'EXIT' },
          ],
        },
      },
      expand: { container_overrides: task.runs.map((r) => ({ environment: r.environment })) },
      dependencies: ['before'],
    };
  }
  tasks.after = python({ trigger_rule: 'all_done', dependencies: batchIds });
  const dag = {
    default_args: { owner: spec.owner, start_date: '2024-01-01' },
    schedule_interval: spec.schedule ?? 'None',
    catchup: false,
    max_active_runs: 1,
    description: spec.description ?? '',
    tags: spec.tags,
    tasks,
  };
  return stringify(
    { [spec.dag_id]: dag },
    { lineWidth: 0, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' },
  );
}

async function writeDagFactoryFolder(specs: BacktestSpec[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-dag-factory-'));
  const noopFile = join(dir, 'bench_noop.py');
  await writeFile(noopFile, 'def noop(**context):\n    return None\n');
  for (const spec of specs) {
    await writeFile(join(dir, `${spec.dag_id}.yml`), dagFactoryYaml(spec, noopFile));
    await writeFile(
      join(dir, `${spec.dag_id}.py`),
      [
        '# airflow DAG loader for dag-factory',
        'import os',
        'from dagfactory import DagFactory',
        '',
        `DagFactory(os.path.join(os.path.dirname(__file__), ${JSON.stringify(`${spec.dag_id}.yml`)})).generate_dags(globals())`,
        '',
      ].join('\n'),
    );
  }
  return dir;
}

async function measure(N: number, ROUNDS: number): Promise<void> {
  const specs = generateCorpus(N);
  const rendered = await writeDagFolder(renderRepo(specs), 'bench');
  const factory = N <= FACTORY_MAX ? await writeDagFactoryFolder(specs) : '-';
  const home = await mkdtemp(join(tmpdir(), 'bench-airflow-home-'));
  try {
    const { stdout } = await run(
      venvBin('airflow2', 'python'),
      [`${projectRoot}bench/dag-parse.py`, rendered, factory, String(ROUNDS)],
      { env: airflowEnv(home), maxBuffer: 256 << 20 },
    );
    const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      airflow: string;
      median_seconds: { rendered: number; dag_factory?: number };
      shape: Record<string, { dags: number; tasks: number; import_errors: number }>;
    };
    const runs = specs.reduce((n, s) => n + s.runs, 0);
    const { rendered: r, dag_factory: f } = result.median_seconds;
    console.log(
      `\nDagBag parse, Airflow ${result.airflow}: ${N} backtest DAGs, ${runs} runs, median of ${ROUNDS} round(s)`,
    );
    console.log(
      `  rendered .py (backtest-gitops): ${r.toFixed(2)} s  (${((r / N) * 1000).toFixed(1)} ms per DAG)`,
      result.shape.rendered,
    );
    if (f === undefined) {
      console.log(`  dag-factory 0.22 YAML:          not measured above ${FACTORY_MAX} DAGs`);
      return;
    }
    console.log(
      `  dag-factory 0.22 YAML:          ${f.toFixed(2)} s  (${((f / N) * 1000).toFixed(1)} ms per DAG)`,
      result.shape.dag_factory,
    );
    console.log(`  ratio dag-factory / rendered:   ${(f / r).toFixed(2)}x`);
  } finally {
    for (const dir of [rendered, factory, home])
      if (dir !== '-') await rm(dir, { recursive: true, force: true });
  }
}

for (const N of SIZES) await measure(N, Number(process.argv[3] ?? (N <= 100 ? 3 : 1)));
