import { z } from 'zod';
import type { AirflowCliRunner } from '../mwaa/airflow-cli.js';
import { parseJsonList } from '../mwaa/airflow-commands.js';
import { assertDagId } from '../mwaa/cli-command.js';
import type { RunState } from './types.js';

/** One DAG run as `airflow dags list-runs -o json` prints it (Airflow 2 and 3 columns). */
export const ListedDagRun = z.object({
  dag_id: z.string(),
  run_id: z.string(),
  state: z.string().nullish(),
  execution_date: z.string().nullish(),
  logical_date: z.string().nullish(),
  run_after: z.string().nullish(),
  start_date: z.string().nullish(),
  end_date: z.string().nullish(),
});
export type ListedDagRun = z.infer<typeof ListedDagRun>;

/** One task instance as `airflow tasks states-for-dag-run -o json` prints it. */
export const TaskInstanceState = z.object({
  task_id: z.string(),
  state: z.string().nullish(),
  map_index: z.union([z.string(), z.number()]).nullish(),
  start_date: z.string().nullish(),
  end_date: z.string().nullish(),
});
export type TaskInstanceState = z.infer<typeof TaskInstanceState>;

/**
 * The two Airflow questions following a sweep needs, each one CLI request whatever the
 * number of runs: the DAG's runs, and the states of every task instance of one run.
 */
export interface DagRunReader {
  listRuns(dagId: string): Promise<ListedDagRun[]>;
  taskStates(dagId: string, runId: string): Promise<TaskInstanceState[]>;
  /** CLI requests sent so far (for the request budget and the benchmark). */
  readonly requests: number;
}

export function dagRunReader(cli: AirflowCliRunner, airflowMajor: () => Promise<number>): DagRunReader {
  let requests = 0;
  return {
    get requests() {
      return requests;
    },
    async listRuns(dagId) {
      const id = assertDagId(dagId);
      // Airflow 3 takes the DAG id as an argument, Airflow 2 as -d.
      const args = (await airflowMajor()) >= 3 ? [id] : ['-d', id];
      requests++;
      const out = await cli.run(['dags', 'list-runs', ...args, '-o', 'json']);
      return parseJsonList(out.stdout, ListedDagRun, 'dags list-runs', out.stderr);
    },
    async taskStates(dagId, runId) {
      requests++;
      const out = await cli.run(['tasks', 'states-for-dag-run', assertDagId(dagId), runId, '-o', 'json']);
      return parseJsonList(out.stdout, TaskInstanceState, 'tasks states-for-dag-run', out.stderr);
    },
  };
}

/** Airflow's task-instance states reduced to the four the report shows. */
export function runState(state: string | null | undefined): RunState {
  switch (state) {
    case 'success':
      return 'success';
    case 'failed':
    case 'upstream_failed':
    case 'skipped':
    case 'removed':
      return 'failed';
    case 'running':
    case 'up_for_retry':
    case 'up_for_reschedule':
    case 'restarting':
    case 'deferred':
      return 'running';
    default:
      return 'pending';
  }
}

/** Whether a DAG run is over (its task states will not change any more). */
export function dagRunFinished(state: string | null | undefined): boolean {
  return state === 'success' || state === 'failed';
}

/** Airflow's major version from `airflow version` output ("2.11.0"). */
export function airflowMajorVersion(version: string): number {
  const major = Number(/^(\d+)\./.exec(version.trim())?.[1]);
  return Number.isFinite(major) && major > 0 ? major : 2;
}
