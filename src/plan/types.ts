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
  /**
   * Keys an apply announced before creating them (written before the first create, cleared by
   * the final manifest write). After a crash they tell the next apply which objects it may have
   * written; an object there is ours only if its sha256 matches (see apply-plan.ts).
   */
  pending?: PendingEntry[];
}

/** A key an interrupted apply may have written, with the content hash it meant to write. */
export interface PendingEntry {
  key: string;
  sha256: string;
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
  /** sha256 of the content to write (create/update/repair); absent for delete/keep/unchanged. */
  sha256?: string;
  /** Version tag the manifest recorded for this key, for the conditional write (`If-Match`). */
  expectedVersion?: string | null;
  /** The key is only known from the manifest's pending list: act on it only if the object's sha256 is one of these. */
  pendingSha256?: string[];
}

export interface SyncPlan {
  commit: string;
  files: PlannedFile[];
  /** Summary by dag_id, the shape of `plan --format json` (keep = invalid config, last DAG kept; repair = drift). */
  summary: {
    create: string[];
    update: string[];
    delete: string[];
    unchanged: string[];
    keep: string[];
    repair: string[];
  };
  /** True when the plan asks to delete more owned DAGs than the safety share allows. */
  massDelete: boolean;
  /** Owned DAGs the plan deletes and owns, for the mass-delete message. */
  deleteCounts: { deleted: number; owned: number; maxShare: number };
  /**
   * The manifest the plan was computed from and its version token, so apply writes the next
   * manifest conditionally without reading it again. `version` undefined = unknown (apply re-reads).
   */
  base: { manifest: Manifest | null; version: string | null | undefined };
  /** Planner inputs apply needs to re-plan after a concurrent writer changed the manifest. */
  replan: { invalidSources: string[]; maxDeleteShare: number; adopt: boolean };
}
