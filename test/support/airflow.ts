import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot, type VenvName, venvBin } from './python.js';

const run = promisify(execFile);

export interface EnvVar {
  name: string;
  value: string;
}

/** One task as test/support/dagbag_probe.py describes it. */
export interface ProbedTask {
  task_id: string;
  type: string;
  upstream: string[];
  downstream: string[];
  trigger_rule: string;
  mapped: boolean;
  retries?: number;
  operator_class?: string | null;
  template_fields?: string[];
  partial?: Record<string, unknown>;
  retry_exponential_backoff?: boolean;
  map_index_template?: string | null;
  /** Task ids whose XCom the mapped task expands over. */
  expand_from?: string[];
  /** The mapped arguments a DAG run starting now gets (computed by calling the run-time task). */
  expand?: { job_name: string; environment: EnvVar[]; run_label: string | null }[];
  /** Map indexes of this part with no run (the short last part pads), and whether they skip. */
  padding?: number;
  padding_skips?: boolean | null;
}

export interface ProbedDag {
  fileloc: string;
  description: string | null;
  doc_md: string | null;
  tags: string[];
  schedule: string | null;
  owner: string;
  catchup: boolean;
  max_active_runs: number;
  tasks: Record<string, ProbedTask>;
  /** Why SerializedDAG could not round-trip the DAG (the scheduler would not run it), or null. */
  serialization_error: string | null;
  /** Size of the JSON the scheduler stores for the DAG. */
  serialized_bytes: number;
  /** Run environments in that JSON. */
  serialized_runs: number;
}

export interface DagBagReport {
  airflow_version: string;
  seconds: number;
  import_errors: Record<string, string>;
  dags: Record<string, ProbedDag>;
}

/**
 * Environment for a throwaway Airflow: its own AIRFLOW_HOME (so nothing leaks between
 * tests or into ~/airflow), no example DAGs, unit-test mode (sqlite in the home, no DB setup
 * needed for a DagBag).
 */
export function airflowEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    AIRFLOW_HOME: home,
    AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
    AIRFLOW__CORE__UNIT_TEST_MODE: 'True',
    AIRFLOW__LOGGING__LOGGING_LEVEL: 'WARNING',
    PYTHONDONTWRITEBYTECODE: '1',
    ...extra,
  };
}

/** Loads every DAG in `dagsDir` in one real DagBag of the given Airflow venv. */
export async function probeDagBag(venv: VenvName, dagsDir: string): Promise<DagBagReport> {
  const home = await mkdtemp(join(tmpdir(), `airflow-home-${venv}-`));
  try {
    const output = join(home, 'report.json');
    await run(venvBin(venv, 'python'), [`${projectRoot}test/support/dagbag_probe.py`, dagsDir, output], {
      env: airflowEnv(home),
      maxBuffer: 64 * 1024 * 1024,
      timeout: 600_000,
    });
    return JSON.parse(await readFile(output, 'utf8')) as DagBagReport;
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
