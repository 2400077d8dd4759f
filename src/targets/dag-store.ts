import type { DesiredFile, Manifest } from '../plan/types.js';

/**
 * Where rendered DAG files live: a local folder or an S3 prefix. Narrow on purpose: the
 * planner needs the manifest and, for drift, cheap version tags of owned keys; apply
 * needs put/delete and a conditional manifest write.
 */
export interface DagStore {
  /** Human-readable location (`./out/dags`, `s3://bucket/dags`), used in messages. */
  readonly location: string;

  /**
   * Reads the manifest; `null` when none exists yet. `version` is the token for the conditional
   * write; `digest` the render digest stored with it (null: none). With a hint, a store may
   * skip reading parts of the manifest the hint shows to be unchanged (see ManifestReadHint).
   */
  readManifest(
    hint?: ManifestReadHint,
  ): Promise<{ manifest: Manifest; version: string; digest?: string | null } | null>;

  /**
   * The manifest's version and stored render digest without its body (S3: one HEAD, 0 body
   * bytes); `null` when there is no manifest. The no-op check: a digest equal to the one
   * computed from the repository means nothing needs rendering.
   */
  headManifest?(): Promise<{ version: string; digest: string | null } | null>;

  /**
   * Writes the manifest only if it is still at `expectedVersion` (`null` = must not exist).
   * Throws ManifestConflictError otherwise. Returns the new version token. `digest` (the
   * render digest, see src/pipeline/render-digest.ts) is stored with it only when given and
   * the manifest has nothing pending; every other write leaves the manifest without one.
   */
  writeManifest(manifest: Manifest, expectedVersion: string | null, digest?: string | null): Promise<string>;

  /**
   * Writes one file and returns its version tag (ETag or content hash). The condition makes
   * ownership checks atomic with the write, at no extra request:
   * - `create`: fail with a TargetError code `unowned-conflict` if the key exists (S3 `If-None-Match: *`);
   * - `replace`: the key should be at `etag` (S3 `If-Match`); on mismatch fail with code `drift`;
   *   `etag: null` = overwrite an owned file whose version we do not know;
   * - `adopt`: overwrite whatever is there (explicit `--adopt`, or repairing owned drift).
   */
  put(key: string, content: string, meta: PutMeta, condition: PutCondition): Promise<string | null>;

  /**
   * Deletes one file; deleting a missing file is not an error. With `expectedVersion`, only
   * if the file is still at that version (S3 `If-Match`, or a read-back where the store
   * ignores it); otherwise fail with a TargetError code `drift` and leave it.
   */
  delete(key: string, expectedVersion?: string | null): Promise<void>;

  /** Reads a file's content, or null if missing (used for diffs and drift checks). */
  get(key: string): Promise<string | null>;

  /**
   * Reads a file's content with its version tag in one request, or null if missing. Apply uses
   * it only after a conditional put failed, to tell our own earlier write (same sha256) from
   * somebody else's file. Optional: without it apply falls back to `get` + `stat`.
   * `deployedSha256`: the sha256 our put recorded with the object (S3 metadata), if any.
   */
  read?(key: string): Promise<StoredObject | null>;

  /**
   * Returns the version tag (ETag / sha256) of each requested key that exists; missing keys
   * are absent from the map. Only called for drift checks, never on the cheap path.
   */
  stat(keys: string[]): Promise<Map<string, string>>;

  /**
   * Deletes the store's own bookkeeping objects that no manifest can name any more (S3:
   * manifest shards left by a crash or a lost race). Called by apply after its writes, never
   * by plan; best effort, and free when the store knows of nothing to delete. Optional: a
   * store that keeps its manifest in one file has nothing to collect.
   */
  collectGarbage?(): Promise<number>;
}

/**
 * What the reader is about to deploy. A store that keeps its manifest in parts (S3 shards) may
 * leave a part unread when it records exactly these keys with this content: its entries then
 * come back as stand-ins built from the desired files, with `etag: null`, which plan as
 * unchanged. Only for planning without a drift check (drift compares the recorded ETags).
 */
export interface ManifestReadHint {
  desired: readonly DesiredFile[];
}

/** A file as `read` returns it: content, version tag, and the sha256 our put recorded (if any). */
export interface StoredObject {
  content: string;
  version: string;
  deployedSha256?: string;
}

export interface PutMeta {
  sha256: string;
  source: string | null;
  commit: string;
}

export type PutCondition = { mode: 'create' } | { mode: 'replace'; etag: string | null } | { mode: 'adopt' };
