import type { ImportError, ListedDag } from './airflow-commands.js';

/** A DAG the deploy changed, as the import check needs it. */
export interface ChangedDag {
  dag_id: string;
  /** Config file it came from. */
  source: string | null;
  action: 'create' | 'update' | 'delete' | 'repair';
  /** Key relative to the DAG folder (`momentum_grid.py`); defaults to `<dag_id>.py`. */
  key?: string;
}

/** Where MWAA puts the DAG folder on its workers: the S3 DAG prefix is synced here. */
export const MWAA_DAGS_FOLDER = '/usr/local/airflow/dags';

export function dagKey(dag: ChangedDag): string {
  return dag.key ?? `${dag.dag_id}.py`;
}

/**
 * The DAG folder on the Airflow host, from `dags list`: the `fileloc` of one of our DAGs,
 * less the key we wrote it under. Null when none of ours is listed or the answers disagree.
 */
export function dagsFolderFrom(listed: readonly ListedDag[], ours: readonly ChangedDag[]): string | null {
  const keys = new Map(ours.map((d) => [d.dag_id, dagKey(d)]));
  let folder: string | null = null;
  for (const d of listed) {
    const key = keys.get(d.dag_id);
    const fileloc = d.fileloc?.replace(/\\/g, '/');
    if (!key || !fileloc?.endsWith(`/${key}`)) continue;
    const candidate = fileloc.slice(0, -key.length - 1);
    if (folder !== null && folder !== candidate) return null;
    folder = candidate;
  }
  return folder;
}

/**
 * The DAG folder to match import errors in: from our listed DAGs when one is listed, else the
 * deepest folder holding every file Airflow named (listed DAGs and import errors), else MWAA's.
 */
export function resolveDagsFolder(
  listed: readonly ListedDag[],
  errors: readonly ImportError[],
  ours: readonly ChangedDag[],
): string {
  const known = dagsFolderFrom(listed, ours);
  if (known !== null) return known;
  const paths = [
    ...listed.map((d) => d.fileloc ?? '').filter((p) => p !== ''),
    ...errors.map((e) => e.filepath),
  ].map((p) => p.replace(/\\/g, '/'));
  return commonFolder(paths) ?? MWAA_DAGS_FOLDER;
}

function commonFolder(paths: readonly string[]): string | null {
  if (paths.length === 0) return null;
  let common = (paths[0] as string).split('/').slice(0, -1);
  for (const p of paths.slice(1)) {
    const parts = p.split('/').slice(0, -1);
    let i = 0;
    while (i < common.length && i < parts.length && common[i] === parts[i]) i += 1;
    common = common.slice(0, i);
  }
  const folder = common.join('/');
  return folder === '' ? null : folder;
}

/**
 * Airflow reports import errors by absolute file path on its own machine; we know the key
 * we wrote under the DAG folder. An error is ours only when its path is exactly
 * `<dagsFolder>/<key>`: a foreign `team_x/momentum.py` is never taken for our `momentum.py`.
 * Our tracebacks are cut to our own file's frames (see ownTraceback).
 */
export function mapImportErrors(
  errors: readonly ImportError[],
  dags: readonly ChangedDag[],
  dagsFolder: string = MWAA_DAGS_FOLDER,
): { byDagId: Map<string, string>; unmatched: ImportError[] } {
  const folder = dagsFolder.replace(/\\/g, '/').replace(/\/+$/, '');
  const byPath = new Map(dags.map((d) => [`${folder}/${dagKey(d)}`, d]));
  const byDagId = new Map<string, string>();
  const unmatched: ImportError[] = [];
  for (const err of errors) {
    const path = err.filepath.replace(/\\/g, '/');
    const dag = byPath.get(path);
    if (dag) byDagId.set(dag.dag_id, trimImportError(ownTraceback(err.error, path)));
    else unmatched.push(err);
  }
  return { byDagId, unmatched };
}

const FRAME = /^\s*File "([^"]*)", line \d+/;

/**
 * A traceback with only the frames in `ownFile` (each with its source line); frames in other
 * files are counted, not shown: their paths and source may belong to someone else.
 * Lines outside frames (the header, the exception) are kept.
 */
export function ownTraceback(text: string, ownFile: string): string {
  const out: string[] = [];
  let hidden = 0;
  let inForeignFrame = false;
  const flush = () => {
    if (hidden > 0) out.push(`  … ${hidden} frame${hidden === 1 ? '' : 's'} in other files not shown`);
    hidden = 0;
  };
  for (const line of text.split('\n')) {
    const frame = FRAME.exec(line);
    if (frame) {
      inForeignFrame = frame[1]?.replace(/\\/g, '/') !== ownFile;
      if (inForeignFrame) hidden += 1;
      else {
        flush();
        out.push(line);
      }
      continue;
    }
    // A frame's source line is indented deeper than its `File` line; anything else ends it.
    if (inForeignFrame && /^\s{4,}/.test(line)) continue;
    inForeignFrame = false;
    flush();
    out.push(line);
  }
  flush();
  return out.join('\n');
}

/** Keeps the useful end of a traceback: the last frames and the exception line. */
export function trimImportError(text: string, maxChars = 2000): string {
  const trimmed = text.trim();
  if (trimmed.length <= maxChars) return trimmed;
  return `…${trimmed.slice(trimmed.length - maxChars + 1)}`;
}
