import { RenderError } from '../shared/errors.js';
import { ownedKeyProblem } from './manifest.js';
import type {
  DesiredFile,
  FileAction,
  Manifest,
  ManifestEntry,
  ObservedObject,
  PlannedFile,
  SyncPlan,
} from './types.js';
import { unifiedDiff } from './unified-diff.js';

export interface PlanSyncInput {
  desired: DesiredFile[];
  manifest: Manifest | null;
  /** Version token of `manifest` (ETag / sha256); lets apply skip re-reading it. */
  manifestVersion?: string | null;
  /** Config files that failed validation: their owned DAGs are kept, never deleted. */
  invalidSources: string[];
  commit: string;
  /** Key → version tag seen in the target now (from DagStore.stat); given only for drift checks. */
  observed?: Map<string, string>;
  /**
   * The manifest's pending keys read back (content hash and version, or null = missing).
   * Without it a pending key is planned from its entry and listed in `unobservedPending`:
   * apply reads them back and re-plans before changing anything.
   */
  pendingObserved?: Map<string, ObservedObject>;
  /** Key → owned content currently deployed, for update diffs. */
  previousContent?: Map<string, string>;
  /** Share of owned DAGs one apply may delete without --allow-mass-delete (default 0.5). */
  maxDeleteShare?: number;
  /** Take over unowned files at keys we want (`--adopt`). */
  adopt?: boolean;
}

export const DEFAULT_MAX_DELETE_SHARE = 0.5;

/**
 * Desired files vs the manifest of owned files → the operations that take the target there.
 * Pure and deterministic (files sorted by key). Ownership is the manifest: a key absent from
 * it is never updated or deleted, only created (and the store's create condition refuses to
 * overwrite an existing unowned object).
 */
export function planSync(input: PlanSyncInput): SyncPlan {
  const maxDeleteShare = input.maxDeleteShare ?? DEFAULT_MAX_DELETE_SHARE;
  const invalid = new Set(input.invalidSources);
  const owned = new Map((input.manifest?.entries ?? []).map((e) => [e.key, e]));
  const pending = new Map<string, (string | null)[]>();
  for (const p of input.manifest?.pending ?? [])
    pending.set(p.key, [...(pending.get(p.key) ?? []), p.sha256]);
  const desired = new Map<string, DesiredFile>();
  for (const d of input.desired) {
    if (desired.has(d.key)) throw new RenderError(`two rendered files want the same key ${d.key}`);
    const problem = ownedKeyProblem(d.key);
    if (problem) throw new RenderError(`cannot deploy ${d.key}: ${problem}`);
    desired.set(d.key, d);
  }

  const files: PlannedFile[] = [];
  const unobservedPending: string[] = [];
  const keys = new Set([...desired.keys(), ...owned.keys(), ...pending.keys()]);
  for (const key of keys) {
    const d = desired.get(key);
    const e = owned.get(key);
    const shas = pending.get(key);
    if (shas && input.pendingObserved?.has(key)) {
      const planned = planAfterInterruption(key, d, e, shas, input.pendingObserved.get(key) ?? null, input);
      if (planned) files.push(planned);
      continue;
    }
    if (shas) unobservedPending.push(key);
    if (d) files.push(planDesired(d, e, input));
    else if (e) files.push(planOwnedGone(e, e.etag, invalid));
  }
  files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  const ownedDags = new Set([...owned.values()].flatMap((e) => (e.dag_id === null ? [] : [e.dag_id])));
  const deletedDags = new Set(
    files.flatMap((f) => (f.action === 'delete' && f.dag_id !== null && owned.has(f.key) ? [f.dag_id] : [])),
  );
  const massDelete = ownedDags.size > 0 && deletedDags.size / ownedDags.size > maxDeleteShare;

  return {
    commit: input.commit,
    files,
    summary: {
      create: dagIds(files, 'create'),
      update: dagIds(files, 'update'),
      delete: dagIds(files, 'delete'),
      unchanged: dagIds(files, 'unchanged'),
      keep: dagIds(files, 'keep'),
      repair: dagIds(files, 'repair'),
    },
    massDelete,
    deleteCounts: { deleted: deletedDags.size, owned: ownedDags.size, maxShare: maxDeleteShare },
    base: { manifest: input.manifest, version: input.manifestVersion },
    replan: { invalidSources: [...invalid].sort(), maxDeleteShare, adopt: input.adopt ?? false },
    unobservedPending: unobservedPending.sort(),
  };
}

/** An owned key no config renders any more: keep it (its config is invalid) or delete it. */
function planOwnedGone(e: ManifestEntry, version: string | null, invalid: Set<string>): PlannedFile {
  if (e.source !== null && invalid.has(e.source)) {
    return { ...describe(e, 'keep'), reason: `${e.source} is invalid; keeping its last good DAG deployed` };
  }
  const reason = e.source === null ? 'no longer rendered' : `${e.source} was removed`;
  return { ...describe(e, 'delete'), reason, expectedVersion: version };
}

/**
 * A key an interrupted apply announced, planned from what it holds now (read back): the
 * crashed apply may have written, updated or deleted it, so the entry is not the truth. The
 * object is ours when its hash is the entry's or one that apply announced; anything else is
 * somebody's file, left alone and reported.
 */
function planAfterInterruption(
  key: string,
  d: DesiredFile | undefined,
  e: ManifestEntry | undefined,
  announced: (string | null)[],
  found: ObservedObject,
  input: PlanSyncInput,
): PlannedFile | null {
  const ours = new Set<string>(announced.filter((s): s is string => s !== null));
  if (e) ours.add(e.sha256);
  const oursSha256 = [...ours].sort();
  const base = d
    ? { key, dag_id: d.dag_id, source: d.source, runs: d.runs, sha256: d.sha256 }
    : { key, dag_id: e?.dag_id ?? null, source: e?.source ?? null, runs: e?.runs ?? 0 };
  const note = 'after an interrupted apply';
  if (found === null) {
    if (d) return { ...base, action: e ? 'repair' : 'create', found, reason: `missing ${note}` };
    // Gone already (deleted by that apply, or never written): only the records are left to drop.
    return e ? { ...base, action: 'delete', found, reason: `already deleted ${note}` } : null;
  }
  if (!ours.has(found.sha256) && !(d && found.sha256 === d.sha256)) {
    if (d && input.adopt) {
      return { ...base, action: e ? 'update' : 'create', found, expectedVersion: found.version, oursSha256 };
    }
    if (!e && !d) return null; // not ours and not wanted: forget the announcement, touch nothing
    return {
      ...base,
      action: 'conflict',
      found,
      reason: `holds content (sha256 ${found.sha256.slice(0, 12)}) that neither the manifest nor an interrupted apply wrote; left as it is`,
    };
  }
  if (d) {
    if (found.sha256 === d.sha256) return { ...base, action: 'unchanged', found };
    const action = e ? 'update' : 'create';
    return {
      ...base,
      action,
      found,
      expectedVersion: found.version,
      oursSha256,
      reason: `rewritten ${note}`,
    };
  }
  const entry: ManifestEntry = e ?? {
    key,
    sha256: found.sha256,
    size: 0,
    source: null,
    dag_id: null,
    runs: 0,
    commit: input.commit,
    etag: found.version,
  };
  const gone = planOwnedGone(entry, found.version, new Set(input.invalidSources));
  return { ...gone, found, oursSha256 };
}

function planDesired(d: DesiredFile, entry: ManifestEntry | undefined, input: PlanSyncInput): PlannedFile {
  const base = { key: d.key, dag_id: d.dag_id, source: d.source, runs: d.runs, sha256: d.sha256 };
  if (!entry) {
    return input.adopt
      ? { ...base, action: 'create', reason: 'an unowned file at this key will be taken over (--adopt)' }
      : { ...base, action: 'create' };
  }
  const seen = input.observed ? (input.observed.get(d.key) ?? null) : undefined;
  const drifted = seen !== undefined && (seen === null || (entry.etag !== null && seen !== entry.etag));
  if (entry.sha256 !== d.sha256) {
    const old = input.previousContent?.get(d.key);
    const planned: PlannedFile = {
      ...base,
      action: 'update',
      expectedVersion: entry.etag,
      oursSha256: [entry.sha256],
    };
    if (old !== undefined) planned.diff = unifiedDiff(d.key, old, d.content);
    if (drifted) {
      // Our write must replace what is there now, not what the manifest remembers.
      planned.expectedVersion = seen;
      planned.reason = seen === null ? 'missing from the target' : 'also changed behind our back';
    }
    return planned;
  }
  if (drifted) {
    return {
      ...base,
      action: 'repair',
      expectedVersion: seen,
      reason:
        seen === null
          ? 'missing from the target (deleted behind our back)'
          : `changed behind our back (version ${seen}, manifest says ${entry.etag})`,
    };
  }
  return { ...base, action: 'unchanged' };
}

function describe(e: ManifestEntry, action: FileAction): PlannedFile {
  return { key: e.key, action, dag_id: e.dag_id, source: e.source, runs: e.runs };
}

function dagIds(files: PlannedFile[], action: FileAction): string[] {
  const ids = files.flatMap((f) => (f.action === action && f.dag_id !== null ? [f.dag_id] : []));
  return [...new Set(ids)].sort();
}
