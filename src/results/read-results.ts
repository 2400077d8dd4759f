import type { JsonValue } from '../config/types.js';
import { parseMetricsFile } from './metrics-file.js';
import { metricsKey, type ResultsStore, runStatusKey, type StoreForStrategy } from './results-store.js';
import { parseRunStatusFile, RUN_STATUS_FILE, type RunStatus } from './run-status-file.js';
import type { MetricsOutcome, ReportSettings, ResultsInput, RunOutcome, RunState } from './types.js';

const RUN_FOLDER = /^(.*?)([^/]+)\/run-(\d{5,})\/([^/]+)$/;

/** Reads one metrics.json; a missing file and a malformed one are outcomes, never thrown. */
export async function readMetrics(store: ResultsStore, key: string): Promise<MetricsOutcome> {
  const text = await store.read(key);
  if (text === null) return { kind: 'missing' };
  const parsed = parseMetricsFile(text);
  return parsed.ok ? { kind: 'ok', file: parsed.file } : { kind: 'invalid', problem: parsed.problem };
}

/** Reads one run-status.json; a missing or unreadable file is null (it only adds a job id and a link). */
export async function readRunStatus(store: ResultsStore, key: string): Promise<RunStatus | null> {
  const text = await store.read(key);
  return text === null ? null : parseRunStatusFile(text);
}

/** A run with what its run-status.json adds: the Batch job id, and the log link when the caller had none. */
export function withRunStatus<R extends { link?: string; batchJobId?: string }>(
  run: R,
  status: RunStatus | null,
): R {
  if (!status) return run;
  const link = run.link || status.logUrl;
  const batchJobId = run.batchJobId ?? status.batchJobId;
  return { ...run, ...(link ? { link } : {}), ...(batchJobId ? { batchJobId } : {}) };
}

/** A run the caller knows of (from the config and Airflow): where it is and what state it is in. */
export interface ExpectedRun {
  index: number;
  strategy: string;
  params: Record<string, JsonValue>;
  state: RunState;
  link?: string;
}

/**
 * The outcomes of known runs, each read from its strategy's store: metrics.json only for
 * runs that succeeded and were not read before (`known` holds earlier outcomes by run
 * index), run-status.json only for runs that failed, so a sweep costs one GET per finished
 * run, once.
 */
export async function readRunOutcomes(
  storeFor: StoreForStrategy,
  prefix: string,
  runs: readonly ExpectedRun[],
  known: ReadonlyMap<number, MetricsOutcome> = new Map(),
): Promise<RunOutcome[]> {
  const out: RunOutcome[] = [];
  for (const run of runs) {
    const store = storeFor(run.strategy);
    let metrics: MetricsOutcome = known.get(run.index) ?? { kind: 'not-read' };
    if (run.state === 'success' && metrics.kind === 'not-read') {
      metrics = await readMetrics(store, metricsKey(prefix, run.strategy, run.index));
    }
    const status =
      run.state === 'failed'
        ? await readRunStatus(store, runStatusKey(prefix, run.strategy, run.index))
        : null;
    out.push(withRunStatus({ ...run, metrics }, status));
  }
  return out;
}

/**
 * Every DAG run found under `prefix` of a store laid out like the results bucket, for
 * `backtestctl results --from DIR`: run folders are `<strategy>/run-NNNNN/`, grouped by the
 * folder above them (one DAG run). With no Airflow to ask, a run folder counts as done; its
 * parameters and ids come from the `run` block write_metrics puts in metrics.json.
 */
export async function discoverResults(
  store: ResultsStore,
  report: ReportSettings,
  options: { prefix?: string; trials?: number } = {},
): Promise<ResultsInput[]> {
  const groups = new Map<string, Map<string, { strategy: string; index: number; files: string[] }>>();
  for (const key of await store.list(options.prefix ?? '')) {
    const m = RUN_FOLDER.exec(key);
    if (!m) continue;
    const [, base = '', strategy = '', index = '0', file = ''] = m;
    const runs = groups.get(base) ?? new Map();
    groups.set(base, runs);
    const id = `${strategy}/${index}`;
    const entry = runs.get(id) ?? { strategy, index: Number(index), files: [] };
    entry.files.push(file);
    runs.set(id, entry);
  }
  const inputs: ResultsInput[] = [];
  for (const [base, runs] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const outcomes: RunOutcome[] = [];
    for (const run of runs.values()) {
      const hasMetrics = run.files.includes('metrics.json');
      const metrics = hasMetrics
        ? await readMetrics(store, metricsKey(base, run.strategy, run.index))
        : ({ kind: 'missing' } as const);
      // A run that wrote no metrics.json but whose last try failed (the DAG's callback left
      // run-status.json) is a failed run, with its Batch job id and log link.
      const status =
        !hasMetrics && run.files.includes(RUN_STATUS_FILE)
          ? await readRunStatus(store, runStatusKey(base, run.strategy, run.index))
          : null;
      const context = metrics.kind === 'ok' ? metrics.file.run : undefined;
      outcomes.push(
        withRunStatus<RunOutcome>(
          {
            index: run.index,
            strategy: run.strategy,
            params: context?.params ?? {},
            state: status?.state === 'failed' ? 'failed' : 'success',
            metrics,
          },
          status,
        ),
      );
    }
    const context = outcomes.flatMap((o) =>
      o.metrics.kind === 'ok' && o.metrics.file.run ? [o.metrics.file.run] : [],
    )[0];
    const parts = base.replace(/\/$/, '').split('/');
    const folderRun = parts.at(-1) || null;
    const folderDag =
      parts.at(-2) || folderRun || store.location.split(/[\\/]/).filter(Boolean).at(-1) || 'results';
    inputs.push({
      dagId: context?.dag_id ?? folderDag,
      dagRunId: context?.dag_run_id ?? folderRun,
      trials: Math.max(options.trials ?? 0, outcomes.length),
      report,
      runs: outcomes.sort((a, b) => a.index - b.index),
    });
  }
  return inputs;
}
