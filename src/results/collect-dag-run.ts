import type { BacktestSpec } from '../config/types.js';
import { MwaaError } from '../shared/errors.js';
import type { DagRunReader, ListedDagRun } from './airflow-runs.js';
import { readRunOutcomes } from './read-results.js';
import { dagRunPrefix, type StoreForStrategy } from './results-store.js';
import { runsWithStates } from './sweep-runs.js';
import { DEFAULT_REPORT, type MetricsOutcome, type ReportSettings, type ResultsInput } from './types.js';

/** A DAG run id as Airflow makes them (manual__2026-01-05T09:00:00+00:00); nothing a shell or path could misread. */
export const DAG_RUN_ID = /^[A-Za-z0-9_.:+~-]{1,250}$/;

/** report: of a config (objective, metrics), with the defaults for what it leaves out. */
export function reportSettings(spec: BacktestSpec): ReportSettings {
  const report = spec.report;
  return {
    objective: report?.objective ?? DEFAULT_REPORT.objective,
    metrics: report?.metrics ?? DEFAULT_REPORT.metrics,
  };
}

/** The most recent run: by start (or logical) date, the listing order breaking ties. */
export function latestDagRun(runs: readonly ListedDagRun[]): ListedDagRun | null {
  const when = (r: ListedDagRun) => r.start_date || r.run_after || r.logical_date || r.execution_date || '';
  return [...runs].sort((a, b) => (when(b) > when(a) ? 1 : when(b) < when(a) ? -1 : 0))[0] ?? null;
}

export interface CollectOptions {
  spec: BacktestSpec;
  reader: DagRunReader;
  /** The results store of each strategy (a multi-strategy DAG may use several buckets). */
  storeFor: StoreForStrategy;
  /** A run id, or null for the latest run. */
  runId: string | null;
  /** Task-log URL of a failed run, when the web server is known. */
  link?: (runId: string, taskId: string, mapIndex: number) => string;
  /** Outcomes read on an earlier pass, by run index (metrics.json is read once per run). */
  known?: ReadonlyMap<number, MetricsOutcome>;
  report?: ReportSettings;
}

/**
 * One DAG run's results from Airflow and the results bucket: 1 `dags list-runs` (skipped
 * when the run id is given and its state is not needed), 1 `tasks states-for-dag-run`, and
 * one GET per finished run not read before (metrics.json, or run-status.json of a failed run).
 */
export async function collectDagRun(
  opts: CollectOptions,
): Promise<{ input: ResultsInput; dagRun: ListedDagRun }> {
  const { spec } = opts;
  if (opts.runId !== null && !DAG_RUN_ID.test(opts.runId)) {
    throw new MwaaError(`'${opts.runId}' is not a DAG run id`, { code: 'usage' });
  }
  const listed = await opts.reader.listRuns(spec.dag_id);
  const dagRun =
    opts.runId === null ? latestDagRun(listed) : (listed.find((r) => r.run_id === opts.runId) ?? null);
  if (!dagRun) {
    throw new MwaaError(
      opts.runId === null
        ? `${spec.dag_id} has no runs in Airflow yet`
        : `${spec.dag_id} has no run ${opts.runId} in Airflow`,
      { code: 'no-dag-run', hint: 'list its runs with `airflow dags list-runs`, or trigger it' },
    );
  }
  const states = await opts.reader.taskStates(spec.dag_id, dagRun.run_id);
  const link = opts.link;
  const expected = runsWithStates(
    spec,
    states,
    link ? (taskId, mapIndex) => link(dagRun.run_id, taskId, mapIndex) : undefined,
  );
  const prefix = dagRunPrefix(spec.dag_id, dagRun.run_id);
  const runs = await readRunOutcomes(opts.storeFor, prefix, expected, opts.known);
  return {
    input: {
      dagId: spec.dag_id,
      dagRunId: dagRun.run_id,
      trials: spec.runs,
      report: opts.report ?? reportSettings(spec),
      runs,
    },
    dagRun,
  };
}
