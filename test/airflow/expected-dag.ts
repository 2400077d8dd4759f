import { expandRuns } from '../../src/config/expand-runs.js';
import type { BacktestRun, BacktestSpec, JsonValue } from '../../src/config/types.js';
import type { StrategyPayload } from '../../src/render/dag-payload.js';
import { buildDagPayload, jobName, runEnvironment } from '../../src/render/index.js';
import type { EnvVar, ProbedDag } from '../support/airflow.js';

/** Airflow's default [core] max_map_length; the renderer splits above it. */
export const MAX_MAP_LENGTH = 1024;

export interface ExpectedBatchTask {
  task_id: string;
  /** The task whose return value the Batch task maps over. */
  runs_task_id: string;
  runs: { job_name: string; environment: EnvVar[]; run_label: string }[];
}

/**
 * The map index label of a run: its index and the grid values that vary (as the payload
 * writes their JSON text), cut to 200 characters.
 */
export function expectedRunLabel(
  run: BacktestRun,
  grid: Record<string, JsonValue[]>,
  gridText: StrategyPayload['grid'],
): string {
  const keys = Object.keys(grid);
  const text = (key: string, value: JsonValue) => {
    const position = grid[key]?.findIndex((v) => JSON.stringify(v) === JSON.stringify(value)) ?? -1;
    return gridText[keys.indexOf(key)]?.[position]?.json;
  };
  const shown = Object.entries(run.params)
    .filter(([key]) => (grid[key]?.length ?? 0) > 1)
    .map(([key, value]) => `${key}=${text(key, value)}`);
  const label = [...`run ${run.index}${shown.length ? `: ${shown.join(', ')}` : ''}`];
  return label.length <= 200 ? label.join('') : `${label.slice(0, 199).join('')}\u2026`;
}

/** The Batch tasks a spec's DAG should hold, with every run's job name and environment. */
export function expectedBatchTasks(spec: BacktestSpec): ExpectedBatchTask[] {
  const payload = buildDagPayload(spec);
  const runs = expandRuns(spec);
  const tasks: ExpectedBatchTask[] = [];
  for (const strategy of payload.strategies) {
    const own = runs.filter((r) => r.strategy === strategy.name);
    const grid = spec.strategies.find((s) => s.name === strategy.name)?.param_grid ?? {};
    // As few parts as max_map_length allows, sized evenly (the last may be a little short).
    const parts = Math.max(1, Math.ceil(own.length / MAX_MAP_LENGTH));
    const size = Math.max(1, Math.ceil(own.length / parts));
    for (let part = 0; part < parts; part++) {
      const suffix = parts === 1 ? '' : `_part_${String(part).padStart(3, '0')}`;
      const group = strategy.group_id === null ? '' : `${strategy.group_id}.`;
      tasks.push({
        task_id: `${group}backtest${suffix}`,
        runs_task_id: `${group}runs`,
        runs: own.slice(part * size, (part + 1) * size).map((run) => ({
          job_name: jobName(strategy.job_name_prefix, run.index),
          environment: runEnvironment(run, spec),
          run_label: expectedRunLabel(run, grid, strategy.grid),
        })),
      });
    }
  }
  return tasks;
}

/**
 * Checks a loaded DAG against its spec and returns the problems found (empty = as
 * designed). Collecting messages keeps a corpus failure readable instead of one giant diff.
 */
export function dagProblems(spec: BacktestSpec, dag: ProbedDag | undefined): string[] {
  if (!dag) return [`${spec.dag_id}: not in the DagBag`];
  const problems: string[] = [];
  const say = (what: string) => problems.push(`${spec.dag_id}: ${what}`);
  const batch = expectedBatchTasks(spec);
  const batchIds = batch.map((t) => t.task_id).sort();
  const runsIds = [...new Set(batch.map((t) => t.runs_task_id))].sort();
  const ids = Object.keys(dag.tasks).sort();
  const expectedIds = ['after', 'before', ...batchIds, ...runsIds].sort();
  if (JSON.stringify(ids) !== JSON.stringify(expectedIds)) say(`task ids ${ids} != ${expectedIds}`);
  const before = dag.tasks.before;
  const after = dag.tasks.after;
  if (JSON.stringify(before?.downstream) !== JSON.stringify(runsIds))
    say('before is not upstream of every runs task');
  if (JSON.stringify(after?.upstream) !== JSON.stringify(batchIds))
    say('after is not downstream of every Batch task');
  if (after?.trigger_rule !== 'all_done') say(`after trigger rule ${after?.trigger_rule}`);
  for (const expected of batch) {
    const task = dag.tasks[expected.task_id];
    if (!task?.mapped || !task.expand) {
      say(`${expected.task_id} is not a mapped task`);
      continue;
    }
    if (JSON.stringify(task.expand_from) !== JSON.stringify([expected.runs_task_id]))
      say(`${expected.task_id} maps over ${task.expand_from}, not ${expected.runs_task_id}`);
    if (JSON.stringify(task.upstream) !== JSON.stringify([expected.runs_task_id]))
      say(`${expected.task_id} has upstream ${task.upstream}`);
    if (task.expand.length !== expected.runs.length)
      say(`${expected.task_id} maps ${task.expand.length} runs`);
    if (task.expand.length > MAX_MAP_LENGTH) say(`${expected.task_id} maps more than ${MAX_MAP_LENGTH}`);
    if (JSON.stringify(task.expand) !== JSON.stringify(expected.runs)) {
      const i = expected.runs.findIndex((r, k) => JSON.stringify(r) !== JSON.stringify(task.expand?.[k]));
      say(
        `${expected.task_id} run ${i}: ${JSON.stringify(task.expand[i])} != ${JSON.stringify(expected.runs[i])}`,
      );
    }
    if (task.map_index_template !== '{{ task.run_label }}')
      say(`${expected.task_id} map_index_template ${task.map_index_template}`);
    if (task.partial?.retries !== spec.retries) say(`${expected.task_id} retries ${task.partial?.retries}`);
    if (!task.retry_exponential_backoff) say(`${expected.task_id} has no exponential backoff`);
    const attempts = (task.partial?.retry_strategy as { attempts?: number } | undefined)?.attempts;
    if (attempts !== spec.batch_attempts) say(`${expected.task_id} Batch attempts ${attempts}`);
    if (task.template_fields?.includes('container_overrides')) say('container_overrides is templated');
  }
  if (dag.description !== spec.description) say(`description ${JSON.stringify(dag.description)}`);
  // Python sorts by code point, JS by UTF-16 unit: compare as sets.
  if (JSON.stringify([...dag.tags].sort()) !== JSON.stringify([...spec.tags].sort())) say(`tags ${dag.tags}`);
  if (dag.schedule !== spec.schedule) say(`schedule ${dag.schedule} != ${spec.schedule}`);
  if (dag.owner !== spec.owner) say(`owner ${dag.owner}`);
  if (dag.doc_md !== buildDagPayload(spec).doc_md) say('doc_md differs from the rendered one');
  if (dag.serialization_error !== null) say(`does not serialize: ${dag.serialization_error}`);
  if (dag.catchup !== false || dag.max_active_runs !== 1) say('catchup / max_active_runs');
  return problems;
}
