import type { Manifest } from '../plan/types.js';
import type { AirflowCommands } from './airflow-commands.js';
import { isAvailable, type MwaaEnvironment } from './environment.js';
import { type ChangedDag, mapImportErrors, resolveDagsFolder } from './import-errors.js';

export interface OwnedDagState {
  dag_id: string;
  source: string | null;
  key: string;
  state: 'imported' | 'import-error' | 'missing' | 'unknown';
  paused: boolean | null;
  import_error: string | null;
}

export interface EnvironmentStatus {
  environment: MwaaEnvironment;
  /** Commit of the last apply, from the manifest; null when nothing was deployed yet. */
  deployedCommit: string | null;
  /** Null when the environment is not AVAILABLE (Airflow was not asked). */
  dags: OwnedDagState[] | null;
  otherImportErrors: number;
}

/** `mwaa status`: the environment, and for each DAG our manifest owns, what Airflow says about it. */
export async function collectEnvironmentStatus(
  environment: MwaaEnvironment,
  manifest: Manifest | null,
  airflow: Pick<AirflowCommands, 'listDags' | 'listImportErrors'>,
): Promise<EnvironmentStatus> {
  const owned: ChangedDag[] = (manifest?.entries ?? [])
    .filter((e) => e.dag_id !== null)
    .map((e) => ({ dag_id: e.dag_id as string, source: e.source, action: 'update', key: e.key }));
  const base = { environment, deployedCommit: manifest?.commit ?? null };
  if (!isAvailable(environment)) return { ...base, dags: null, otherImportErrors: 0 };
  const listedDags = await airflow.listDags();
  const listed = new Map(listedDags.map((d) => [d.dag_id, d]));
  const importErrors = await airflow.listImportErrors();
  const folder = resolveDagsFolder(listedDags, importErrors, owned);
  const { byDagId, unmatched } = mapImportErrors(importErrors, owned, folder);
  const dags = owned.map((d): OwnedDagState => {
    const seen = listed.get(d.dag_id);
    const error = byDagId.get(d.dag_id) ?? null;
    const state = error
      ? 'import-error'
      : seen?.has_import_errors
        ? 'import-error'
        : seen
          ? 'imported'
          : 'missing';
    return {
      dag_id: d.dag_id,
      source: d.source,
      key: d.key as string,
      state,
      paused: seen?.is_paused ?? null,
      import_error:
        error ??
        (seen?.has_import_errors ? 'the scheduler recorded an import error (see the Airflow UI)' : null),
    };
  });
  return { ...base, dags, otherImportErrors: unmatched.length };
}

export function formatEnvironmentStatus(s: EnvironmentStatus): string {
  const e = s.environment;
  const lines = [
    `Environment:  ${e.name} (${e.region})`,
    `Status:       ${e.status}`,
    `Airflow:      ${e.airflowVersion}`,
    `DAG folder:   s3://${e.bucket}/${e.prefix}`,
    `Web server:   ${e.webserverHostname}`,
    `Deployed:     ${s.deployedCommit ? `commit ${s.deployedCommit.slice(0, 12)}` : 'nothing yet (no manifest)'}`,
  ];
  if (s.dags === null) {
    lines.push(`Airflow was not asked: the environment is ${e.status}, not AVAILABLE.`);
  } else {
    const count = (st: OwnedDagState['state']) => s.dags?.filter((d) => d.state === st).length ?? 0;
    lines.push(
      `Our DAGs:     ${s.dags.length} owned: ${count('imported')} imported, ${count('import-error')} with import errors, ${count('missing')} not listed`,
    );
    for (const d of s.dags) {
      const paused = d.paused === null ? '' : d.paused ? ' (paused)' : ' (active)';
      lines.push(`  ${d.state.padEnd(12)} ${d.dag_id}${paused}  ${d.source ?? ''}`.trimEnd());
      if (d.import_error)
        lines.push(
          ...d.import_error
            .split('\n')
            .slice(-6)
            .map((l) => `      ${l}`),
        );
    }
    if (s.otherImportErrors > 0)
      lines.push(`  (${s.otherImportErrors} import error(s) in files we do not own)`);
  }
  return `${lines.join('\n')}\n`;
}
