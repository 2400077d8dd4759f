import type { ListedDag } from './airflow-commands.js';
import type { DagDeployStatus } from './deploy-report.js';
import type { VerifyDeployOptions } from './verify-deploy.js';

/**
 * Makes newly created DAGs ready to run, as configured: one unpause call for all that are
 * still paused, then one trigger each. Failures are recorded per DAG, never thrown: the
 * deploy itself already succeeded.
 */
export async function readyNewDags(
  options: VerifyDeployOptions,
  listed: Map<string, ListedDag>,
  statuses: Map<string, DagDeployStatus>,
): Promise<void> {
  const fresh = options.changed.filter((d) => d.action === 'create' && listed.has(d.dag_id));
  if (options.unpauseNew && fresh.length > 0) {
    const paused = fresh.filter((d) => !isUnpaused(listed.get(d.dag_id)));
    let ok = true;
    try {
      await options.cli.unpause(paused.map((d) => d.dag_id));
    } catch (err) {
      // catch-all: reported on each DAG's status note; a failed unpause does not undo the deploy.
      ok = false;
      for (const d of paused)
        (statuses.get(d.dag_id) as DagDeployStatus).note = `unpause failed: ${errorText(err)}`;
    }
    for (const d of fresh) (statuses.get(d.dag_id) as DagDeployStatus).unpaused = ok || !paused.includes(d);
  }
  if (options.triggerNew) {
    for (const d of fresh) {
      const s = statuses.get(d.dag_id) as DagDeployStatus;
      try {
        await options.cli.trigger(d.dag_id);
        s.triggered = true;
      } catch (err) {
        // catch-all: reported on the DAG's status note; the other DAGs are still triggered.
        s.triggered = false;
        s.note = `trigger failed: ${errorText(err)}`;
      }
    }
  }
}

function isUnpaused(dag: ListedDag | undefined): boolean {
  return dag?.is_paused === false;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
