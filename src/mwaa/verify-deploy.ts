import { MwaaError } from '../shared/errors.js';
import type { AirflowCommands, ListedDag } from './airflow-commands.js';
import type { DagDeployStatus, ImportCheckSummary } from './deploy-report.js';
import { isAvailable } from './environment.js';
import { type ChangedDag, mapImportErrors, resolveDagsFolder } from './import-errors.js';
import { readyNewDags } from './ready-new-dags.js';

export interface VerifyDeployOptions {
  cli: Pick<AirflowCommands, 'listDags' | 'listImportErrors' | 'unpause' | 'trigger'>;
  changed: readonly ChangedDag[];
  /** When given and not AVAILABLE, the check is deferred without a CLI call. */
  environment?: { name: string; status: string } | null;
  timeoutMs: number;
  /** First wait between polls; it grows by half each time up to maxPollIntervalMs. */
  pollIntervalMs: number;
  maxPollIntervalMs?: number;
  /**
   * How long an import error on an updated (not new) DAG may still be the previous file's:
   * MWAA syncs S3 about every 30 s and its scheduler re-parses after that. Until this has
   * passed, such an error keeps the check polling. Errors on new DAGs count at once.
   * Default 45 s; 0 where files reach Airflow at once (the local fake).
   */
  staleErrorGraceMs?: number;
  unpauseNew: boolean;
  triggerNew: boolean;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /**
   * Told before each wait what is still pending, how long it has waited and when it gives
   * up, so a person watching a 300 s wait sees it move (`apply` prints it on stderr).
   */
  onProgress?: (line: string) => void;
}

/** MWAA's ~30 s S3 sync plus a scheduler pass. */
export const DEFAULT_STALE_ERROR_GRACE_MS = 45_000;

export interface ImportCheck extends ImportCheckSummary {
  dags: DagDeployStatus[];
  polls: number;
  /** Import errors in files we do not own (someone else's DAGs); reported, never ours to fix. */
  otherImportErrors: number;
}

/**
 * Asks Airflow, until every changed DAG is accounted for or the time is up: created and
 * updated DAGs must be listed (imported) or show an import error, deleted ones must be gone.
 * `dags list` parses the same folder as `list-import-errors`, so a listed DAG is the
 * current file; import errors are only fetched while some DAG is still missing. Then new
 * DAGs are unpaused (one call) and triggered once, as configured. Never deletes anything.
 */
export async function verifyDeploy(options: VerifyDeployOptions): Promise<ImportCheck> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const start = now();
  const statuses = new Map<string, DagDeployStatus>(
    options.changed.map((d) => [
      d.dag_id,
      {
        dag_id: d.dag_id,
        source: d.source,
        action: d.action,
        imported: null,
        import_error: null,
        unpaused: null,
        triggered: null,
      },
    ]),
  );
  const result = (
    state: ImportCheck['state'],
    message: string,
    polls: number,
    otherImportErrors = 0,
  ): ImportCheck => ({
    state,
    message,
    elapsed_ms: now() - start,
    dags: [...statuses.values()],
    polls,
    otherImportErrors,
  });

  const env = options.environment;
  if (env && !isAvailable(env)) {
    for (const s of statuses.values()) s.note = `import check deferred: environment ${env.status}`;
    return result(
      'deferred',
      `MWAA environment '${env.name}' is ${env.status}, not AVAILABLE: the files are uploaded and MWAA picks them up once it is; the import check is deferred (run \`backtestctl mwaa status --environment ${env.name}\` later)`,
      0,
    );
  }

  const present = options.changed.filter((d) => d.action !== 'delete');
  const deleted = options.changed.filter((d) => d.action === 'delete');
  let interval = options.pollIntervalMs;
  let polls = 0;
  let listed = new Map<string, ListedDag>();
  let otherErrors = 0;
  let errors = new Map<string, string>();
  let lastFailure: string | null = null;
  for (;;) {
    polls++;
    try {
      ({ listed, errors, otherErrors } = await observe(options.cli, present));
      lastFailure = null;
    } catch (err) {
      // A web server restarting or a dropped connection costs one poll, not the whole check.
      if (!isTransientCliError(err)) throw err;
      lastFailure = errorText(err);
    }
    const unlisted = present.filter((d) => !listed.has(d.dag_id));
    const missing = unlisted.filter((d) => !errors.has(d.dag_id));
    // An error on an updated file may still be the old file's until MWAA syncs and re-parses.
    const settled = now() - start >= (options.staleErrorGraceMs ?? DEFAULT_STALE_ERROR_GRACE_MS);
    const provisional = present.filter((d) => errors.has(d.dag_id) && d.action !== 'create' && !settled);
    const lingering = deleted.filter((d) => listed.has(d.dag_id));
    const answered = lastFailure === null;
    if (answered && missing.length === 0 && lingering.length === 0 && provisional.length === 0) break;
    const remaining = start + options.timeoutMs - now();
    if (remaining <= 0) {
      if (answered && missing.length === 0 && lingering.length === 0) break;
      recordErrors(errors, statuses);
      for (const d of missing) {
        const s = statuses.get(d.dag_id) as DagDeployStatus;
        s.imported = false;
        s.note = `not listed by Airflow after ${seconds(now() - start)}`;
      }
      for (const d of lingering) (statuses.get(d.dag_id) as DagDeployStatus).note = 'still listed by Airflow';
      markImported(present, listed, statuses);
      const names = [...missing, ...lingering].map((d) => d.dag_id).join(', ');
      const waitedFor = names
        ? `waiting for Airflow to ${missing.length ? 'list' : 'drop'}: ${names}`
        : 'without an answer from Airflow';
      return result(
        'timeout',
        `timed out after ${seconds(now() - start)} ${waitedFor}; nothing was deleted and the uploaded files stay in place` +
          (lastFailure ? ` (last poll failed: ${lastFailure})` : ''),
        polls,
        otherErrors,
      );
    }
    options.onProgress?.(
      progressLine({ missing, provisional, lingering, lastFailure, elapsedMs: now() - start, remaining }),
    );
    await sleep(Math.min(interval, remaining));
    interval = Math.min(interval * 1.5, options.maxPollIntervalMs ?? 15_000);
  }

  recordErrors(errors, statuses);
  markImported(present, listed, statuses);
  for (const d of deleted) (statuses.get(d.dag_id) as DagDeployStatus).note = 'removed from Airflow';
  const failed = [...statuses.values()].filter((s) => s.import_error !== null);
  if (failed.length === 0) await readyNewDags(options, listed, statuses);
  const message =
    failed.length > 0
      ? `import errors in ${failed.map((s) => `${s.dag_id} (${s.source ?? 'no config'})`).join(', ')}`
      : `Airflow imported ${present.length} changed DAG(s)${deleted.length ? ` and dropped ${deleted.length}` : ''}`;
  return result(failed.length > 0 ? 'failed' : 'confirmed', message, polls, otherErrors);
}

/** One look at Airflow: the DAG list, and import errors only while some changed DAG is not listed. */
async function observe(
  cli: VerifyDeployOptions['cli'],
  present: readonly ChangedDag[],
): Promise<{ listed: Map<string, ListedDag>; errors: Map<string, string>; otherErrors: number }> {
  const listed = new Map((await cli.listDags()).map((d) => [d.dag_id, d]));
  const errors = new Map<string, string>();
  for (const d of present) {
    if (listed.get(d.dag_id)?.has_import_errors === true) errors.set(d.dag_id, SCHEDULER_IMPORT_ERROR);
  }
  const unlisted = present.filter((d) => !listed.has(d.dag_id));
  let otherErrors = 0;
  if (unlisted.length > 0) {
    const importErrors = await cli.listImportErrors();
    const folder = resolveDagsFolder([...listed.values()], importErrors, present);
    const { byDagId, unmatched } = mapImportErrors(importErrors, unlisted, folder);
    otherErrors = unmatched.length;
    for (const [dagId, error] of byDagId) errors.set(dagId, error);
  }
  return { listed, errors, otherErrors };
}

function isTransientCliError(err: unknown): boolean {
  return err instanceof MwaaError && ['mwaa-cli', 'mwaa-unreachable', 'mwaa-api'].includes(err.code);
}

/** Airflow 2's CLI parses files itself; the scheduler's own errors (serialization) only show as this flag. */
export const SCHEDULER_IMPORT_ERROR =
  "Airflow's scheduler recorded an import error for this DAG's file although it parses (typically the DAG " +
  'cannot be serialized); the MWAA CLI does not return its text: see Browse > DAG import errors in the Airflow UI';

function recordErrors(errors: Map<string, string>, statuses: Map<string, DagDeployStatus>) {
  for (const [dagId, error] of errors) {
    const s = statuses.get(dagId) as DagDeployStatus;
    s.imported = false;
    s.import_error = error;
  }
}

function markImported(
  present: readonly ChangedDag[],
  listed: Map<string, ListedDag>,
  statuses: Map<string, DagDeployStatus>,
) {
  for (const d of present) {
    const s = statuses.get(d.dag_id) as DagDeployStatus;
    if (listed.has(d.dag_id) && s.import_error === null) s.imported = true;
  }
}

/** `waiting for Airflow: 1 of 3 changed DAGs pending (grid_search: not listed yet); 20 s elapsed, gives up in 280 s` */
function progressLine(state: {
  missing: readonly ChangedDag[];
  provisional: readonly ChangedDag[];
  lingering: readonly ChangedDag[];
  lastFailure: string | null;
  elapsedMs: number;
  remaining: number;
}): string {
  const pending = [
    ...state.missing.map((d) => `${d.dag_id}: not listed yet`),
    ...state.provisional.map((d) => `${d.dag_id}: import error, maybe still the previous file's`),
    ...state.lingering.map((d) => `${d.dag_id}: deleted, still listed`),
  ];
  const shown =
    pending.slice(0, 5).join(', ') + (pending.length > 5 ? `, and ${pending.length - 5} more` : '');
  const what =
    state.lastFailure !== null
      ? `the last poll failed (${state.lastFailure}); trying again`
      : `${pending.length} changed DAG(s) pending (${shown})`;
  return `  waiting for Airflow: ${what}; ${seconds(state.elapsedMs)} elapsed, gives up in ${seconds(state.remaining)}`;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
