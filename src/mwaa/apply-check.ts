import type { ApplyResult } from '../targets/apply-result.js';
import type { DagStore } from '../targets/dag-store.js';
import type { DagDeployStatus, DeployReport } from './deploy-report.js';
import type { ChangedDag } from './import-errors.js';
import { isMwaaDagStore } from './mwaa-target.js';
import { type ImportCheck, type VerifyDeployOptions, verifyDeploy } from './verify-deploy.js';

export interface ApplyImportCheckOptions {
  /** Seconds to wait for MWAA to list the changed DAGs. */
  waitSeconds: number;
  unpauseNew: boolean;
  triggerNew: boolean;
  pollIntervalMs?: number;
  /** See verifyDeploy; default 45 s (MWAA's ~30 s S3 sync plus a scheduler pass). */
  staleErrorGraceMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Progress lines for a human (stderr): the wait can take minutes. */
  log?: (line: string) => void;
}

/** DAG files an apply actually created, updated, repaired or deleted. */
export function changedDagsFromApply(result: ApplyResult): ChangedDag[] {
  return result.files
    .filter((f) => f.status === 'done' && f.dag_id !== null)
    .filter(
      (f) => f.action === 'create' || f.action === 'update' || f.action === 'repair' || f.action === 'delete',
    )
    .map((f) => ({
      dag_id: f.dag_id as string,
      source: f.source,
      action: f.action as ChangedDag['action'],
      key: f.key,
    }));
}

/**
 * The check `backtestctl apply --target mwaa://ENV` runs after writing: re-reads the
 * environment's status (an update may have started since the plan) and asks Airflow about
 * every changed DAG. Returns null for other targets or when nothing changed.
 */
export async function checkApplyImport(
  store: DagStore,
  result: ApplyResult,
  options: ApplyImportCheckOptions,
): Promise<ImportCheck | null> {
  if (!isMwaaDagStore(store)) return null;
  const changed = changedDagsFromApply(result);
  if (changed.length === 0) return null;
  const environment = await store.connection.controlPlane.resolveEnvironment(store.environment.name);
  options.log?.(
    `checking that MWAA environment '${environment.name}' imports ${changed.length} changed DAG(s) (waiting up to ${options.waitSeconds} s)`,
  );
  return verifyDeploy({
    cli: store.connection.airflow,
    changed,
    environment,
    ...importCheckSettings(options),
  });
}

/**
 * How long and how often to ask Airflow, and what to do with new DAGs: the same for
 * `backtestctl apply` and the controller's import-check step.
 */
export function importCheckSettings(
  options: ApplyImportCheckOptions,
): Omit<VerifyDeployOptions, 'cli' | 'changed' | 'environment'> {
  return {
    timeoutMs: options.waitSeconds * 1000,
    pollIntervalMs: options.pollIntervalMs ?? 5_000,
    maxPollIntervalMs: 30_000,
    ...(options.staleErrorGraceMs !== undefined ? { staleErrorGraceMs: options.staleErrorGraceMs } : {}),
    unpauseNew: options.unpauseNew,
    triggerNew: options.triggerNew,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.log ? { onProgress: options.log } : {}),
  };
}

/** Folds an import check into a deploy report: per-DAG outcomes, ok, and a summary line. */
export function mergeImportCheck(
  report: DeployReport,
  check: ImportCheck,
  environment: { name: string; airflowVersion: string },
): DeployReport {
  const checked = new Map(check.dags.map((d) => [d.dag_id, d]));
  const dags: DagDeployStatus[] = report.dags.map((d) => checked.get(d.dag_id) ?? d);
  return {
    ...report,
    environment: environment.name,
    airflow_version: environment.airflowVersion,
    dags,
    ok: report.ok && (check.state === 'confirmed' || check.state === 'deferred'),
    import_check: { state: check.state, message: check.message, elapsed_ms: check.elapsed_ms },
    summary: `${report.summary}; import check ${check.state}`.slice(0, 140),
  };
}

/** Human-readable lines for the CLI. */
export function formatImportCheck(check: ImportCheck): string {
  const lines = [
    `Import check (${check.state}, ${(check.elapsed_ms / 1000).toFixed(1)} s): ${check.message}`,
  ];
  for (const d of check.dags) {
    const state =
      d.import_error !== null
        ? 'IMPORT ERROR'
        : d.imported === true
          ? 'imported'
          : d.action === 'delete'
            ? 'deleted'
            : d.imported === false
              ? 'MISSING'
              : 'not checked';
    const extras = [
      d.unpaused === true ? 'unpaused' : d.unpaused === false ? 'unpause FAILED' : null,
      d.triggered === true ? 'triggered' : d.triggered === false ? 'trigger FAILED' : null,
      d.note ?? null,
    ].filter((x): x is string => x !== null);
    lines.push(
      `  ${state.padEnd(12)} ${d.dag_id} (${d.source ?? 'no config'})${extras.length ? ` — ${extras.join(', ')}` : ''}`,
    );
    if (d.import_error) lines.push(...indent(d.import_error, 6));
  }
  if (check.otherImportErrors > 0) {
    lines.push(`  (${check.otherImportErrors} import error(s) in files backtest-gitops does not own)`);
  }
  return `${lines.join('\n')}\n`;
}

function indent(text: string, n: number): string[] {
  const lines = text.split('\n');
  const shown = lines.length > 12 ? ['…', ...lines.slice(-12)] : lines;
  return shown.map((l) => `${' '.repeat(n)}${l}`);
}
