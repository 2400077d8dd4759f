import type { ImportError } from './airflow-commands.js';

/** A DAG the deploy changed, as the import check needs it. */
export interface ChangedDag {
  dag_id: string;
  /** Config file it came from. */
  source: string | null;
  action: 'create' | 'update' | 'delete' | 'repair';
  /** Key relative to the DAG folder (`momentum_grid.py`); defaults to `<dag_id>.py`. */
  key?: string;
}

export function dagKey(dag: ChangedDag): string {
  return dag.key ?? `${dag.dag_id}.py`;
}

/**
 * Airflow reports import errors by absolute file path on its own machine
 * (`/usr/local/airflow/dags/momentum_grid.py`); we know the key relative to the DAG folder.
 * A path matches a key when it ends with `/<key>`; the longest key wins so `a/b.py` beats `b.py`.
 */
export function mapImportErrors(
  errors: readonly ImportError[],
  dags: readonly ChangedDag[],
): { byDagId: Map<string, string>; unmatched: ImportError[] } {
  const byDagId = new Map<string, string>();
  const unmatched: ImportError[] = [];
  const candidates = [...dags].sort((a, b) => dagKey(b).length - dagKey(a).length);
  for (const err of errors) {
    const path = err.filepath.replace(/\\/g, '/');
    const dag = candidates.find((d) => path === dagKey(d) || path.endsWith(`/${dagKey(d)}`));
    if (dag) byDagId.set(dag.dag_id, trimImportError(err.error));
    else unmatched.push(err);
  }
  return { byDagId, unmatched };
}

/** Keeps the useful end of a traceback: the last frames and the exception line. */
export function trimImportError(text: string, maxChars = 2000): string {
  const trimmed = text.trim();
  if (trimmed.length <= maxChars) return trimmed;
  return `…${trimmed.slice(trimmed.length - maxChars + 1)}`;
}
