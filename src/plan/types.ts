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

/**
 * Which source owns a target: one config repo folder, for one environment. A controller or
 * CLI that finds a manifest owned by another source refuses to touch it.
 */
export interface ManifestOwner {
  /** Normalised repository URL (`github.com/org/repo`, no scheme, user or `.git`), or `file://DIR` without a remote. */
  repo: string;
  /** Folder of the configs inside the repository ('.' = root). */
  path: string;
  environment: string | null;
  /** Where the owner writes (`s3://bucket/prefix`, a folder); recorded for operators, not compared. */
  target: string;
}

export interface Manifest {
  /** Format version of this document. */
  version: 1;
  /** Tool that wrote it; the manifest tells operators which process owns these objects. */
  generator: string;
  /** Source that owns these objects; absent in manifests written before owners were recorded. */
  owner?: ManifestOwner;
  /** Commit deployed by the last apply that changed something; a later apply must descend from it. */
  commit: string;
  /** Owned entries sorted by key. */
  entries: ManifestEntry[];
  /**
   * Every change an apply is about to make (create, update or delete), written before the
   * first of them and cleared by the final manifest write. After a crash they tell the next
   * apply which keys may differ from the entries: it reads those keys back before planning,
   * and an object there is ours only if its sha256 is one recorded here or in the entries.
   */
  pending?: PendingEntry[];
}

/** A change an interrupted apply may have made: the content it meant to write, or `null` for a delete. */
export interface PendingEntry {
  key: string;
  sha256: string | null;
}

/** What a pending key holds now, read back before planning: `null` = missing. */
export type ObservedObject = { sha256: string; version: string } | null;

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
  /**
   * Content hashes that count as ours at this key besides the desired one (the recorded
   * entry's, an interrupted apply's): a failed If-Match that finds one of them may overwrite;
   * anything else is somebody's change, reported as a conflict and left alone.
   */
  oursSha256?: string[];
  /** The key was read back before planning (pending after a crash): what it held. */
  found?: ObservedObject;
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
  /** Pending keys the plan has no read-back for: apply reads them back and re-plans before acting. */
  unobservedPending?: string[];
}
