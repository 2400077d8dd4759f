/**
 * Plan data: what the controller wants in the target, what it owns there (the manifest),
 * and the operations that take one to the other. `plan` prints exactly the SyncPlan that
 * `apply` executes.
 */

/** A file the controller wants in the target (a rendered DAG or the support module). */
export interface DesiredFile {
  /** Key relative to the target root, forward slashes, e.g. `momentum_grid.py`. */
  key: string;
  content: string;
  /** sha256 hex of the UTF-8 bytes of `content`. */
  sha256: string;
  /** Config file it came from (relative path), or `null` for support files. */
  source: string | null;
  /** dag_id it defines, or `null` for support files. */
  dag_id: string | null;
  /** Runs the DAG executes (0 for support files). */
  runs: number;
}

/** One owned object as recorded in the manifest. */
export interface ManifestEntry {
  key: string;
  sha256: string;
  size: number;
  source: string | null;
  dag_id: string | null;
  runs: number;
  /** Commit of the config repo the file was rendered from. */
  commit: string;
  /** Store-specific version tag (S3 ETag) seen right after our write; null on stores without one. */
  etag: string | null;
}

export interface Manifest {
  /** Format version of this document. */
  version: 1;
  /** Tool that wrote it; the manifest tells operators which process owns these objects. */
  generator: string;
  /** Commit last applied. */
  commit: string;
  /** Owned entries sorted by key. */
  entries: ManifestEntry[];
}

export type FileAction = 'create' | 'update' | 'delete' | 'unchanged' | 'repair' | 'conflict' | 'keep';

export interface PlannedFile {
  key: string;
  action: FileAction;
  dag_id: string | null;
  source: string | null;
  runs: number;
  /** Why this action (drift seen, kept because its config is invalid, unowned file in the way, ...). */
  reason?: string;
  /** Unified diff for updates (old owned content vs new), when the old content is known. */
  diff?: string;
}

export interface SyncPlan {
  commit: string;
  files: PlannedFile[];
  /** Summary by dag_id, the shape of `plan --format json`. */
  summary: { create: string[]; update: string[]; delete: string[]; unchanged: string[] };
  /** True when the plan asks to delete more owned DAGs than the safety share allows. */
  massDelete: boolean;
}
