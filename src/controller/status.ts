/**
 * What the controller knows about its own progress; read by /readyz and the logs.
 * Mutated only by the reconciler.
 */
export interface ControllerStatus {
  /** Last default-branch commit applied (or planned, when suspended) without error. */
  lastDeployedCommit: string | null;
  lastDriftCheckAt: number | null;
  /** End time of the last reconcile, whatever its result. */
  lastReconcileAt: number | null;
  lastSuccessAt: number | null;
  /** Whether the last fetch of the config repo worked; null before the first one. */
  repoReachable: boolean | null;
  /** Last deploy failure already reported on GitHub (commit + message), to avoid repeating it every poll. */
  lastReportedFailure: string | null;
}

export function initialStatus(): ControllerStatus {
  return {
    lastDeployedCommit: null,
    lastDriftCheckAt: null,
    lastReconcileAt: null,
    lastSuccessAt: null,
    repoReachable: null,
    lastReportedFailure: null,
  };
}

export interface Readiness {
  ready: boolean;
  reasons: string[];
}

/**
 * Ready = a reconcile finished within the last three schedule intervals and the config
 * repository answered the last fetch. Before the first reconcile finishes: not ready.
 */
export function readiness(status: ControllerStatus, now: number, intervalMs: number): Readiness {
  const reasons: string[] = [];
  if (status.lastReconcileAt === null) reasons.push('no reconcile has finished yet');
  else if (now - status.lastReconcileAt >= 3 * intervalMs) {
    reasons.push(
      `last reconcile finished ${Math.round((now - status.lastReconcileAt) / 1000)} s ago (limit ${Math.round((3 * intervalMs) / 1000)} s)`,
    );
  }
  if (status.repoReachable === false) reasons.push('config repository unreachable at last fetch');
  return { ready: reasons.length === 0, reasons };
}
