import { iterateRuns } from '../config/expand-runs.js';
import type { BacktestSpec } from '../config/types.js';
import type { TaskInstanceState } from './airflow-runs.js';
import { runState } from './airflow-runs.js';
import type { ExpectedRun } from './read-results.js';

/** Airflow's [core] max_map_length default; the rendered DAG splits bigger grids into parts. */
export const MAX_RUNS_PER_MAPPED_TASK = 1024;

/** Where a run executes in Airflow: its Batch task id and map index (as the rendered DAG lays them out). */
export interface RunLocation {
  index: number;
  taskId: string;
  mapIndex: number;
}

/**
 * The task id and map index of every run of a spec, mirroring part_layout and
 * batch_arguments in the DAG template: a strategy's runs are split evenly into as few parts
 * (`backtest`, or `backtest_part_NNN`) as max_map_length allows; map index i of part p is
 * run p × size + i of the strategy; a multi-strategy DAG puts them in the strategy's group.
 */
export function runLocations(spec: BacktestSpec): RunLocation[] {
  const out: RunLocation[] = [];
  let first = 0;
  for (const strategy of spec.strategies) {
    const parts = Math.max(1, Math.ceil(strategy.runs / MAX_RUNS_PER_MAPPED_TASK));
    const size = Math.max(1, Math.ceil(strategy.runs / parts));
    for (let offset = 0; offset < strategy.runs; offset++) {
      const part = Math.floor(offset / size);
      const taskId = parts === 1 ? 'backtest' : `backtest_part_${String(part).padStart(3, '0')}`;
      out.push({
        index: first + offset,
        taskId: spec.multi_strategy ? `${strategy.name}.${taskId}` : taskId,
        mapIndex: offset % size,
      });
    }
    first += strategy.runs;
  }
  return out;
}

/**
 * The runs of a spec with their Airflow states from one `tasks states-for-dag-run` answer;
 * a run Airflow does not list yet is pending. `link` builds the task-log URL of a run.
 */
export function runsWithStates(
  spec: BacktestSpec,
  states: readonly TaskInstanceState[],
  link?: (taskId: string, mapIndex: number) => string,
): ExpectedRun[] {
  const byTask = new Map<string, string | null | undefined>();
  for (const ti of states) {
    const mapIndex =
      ti.map_index === '' || ti.map_index === null || ti.map_index === undefined ? -1 : Number(ti.map_index);
    byTask.set(`${ti.task_id}#${mapIndex}`, ti.state);
  }
  const locations = runLocations(spec);
  const out: ExpectedRun[] = [];
  let i = 0;
  for (const run of iterateRuns(spec)) {
    const where = locations[i++];
    if (!where) break;
    const state = runState(byTask.get(`${where.taskId}#${where.mapIndex}`));
    out.push({
      index: run.index,
      strategy: run.strategy,
      params: run.params,
      state,
      ...(state === 'failed' && link ? { link: link(where.taskId, where.mapIndex) } : {}),
    });
  }
  return out;
}

/** The Airflow UI page of a mapped task instance's log (Airflow 2 and 3 URL shapes). */
export function taskLogUrl(
  webserver: string,
  airflowMajor: number,
  dagId: string,
  runId: string,
  taskId: string,
  mapIndex: number,
): string {
  const base = /^https?:\/\//.test(webserver) ? webserver.replace(/\/+$/, '') : `https://${webserver}`;
  const e = encodeURIComponent;
  if (airflowMajor >= 3) {
    return `${base}/dags/${e(dagId)}/runs/${e(runId)}/tasks/${e(taskId)}/mapped/${mapIndex}`;
  }
  return `${base}/log?dag_id=${e(dagId)}&task_id=${e(taskId)}&dag_run_id=${e(runId)}&map_index=${mapIndex}`;
}
