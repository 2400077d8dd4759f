import { RenderError } from '../shared/errors.js';
import type { DesiredFile, FileAction, Manifest, ManifestEntry, PlannedFile, SyncPlan } from './types.js';
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
  const pending = new Map<string, string[]>();
  for (const p of input.manifest?.pending ?? []) {
    if (!owned.has(p.key)) pending.set(p.key, [...(pending.get(p.key) ?? []), p.sha256]);
  }
  const desired = new Map<string, DesiredFile>();
  for (const d of input.desired) {
    if (desired.has(d.key)) throw new RenderError(`two rendered files want the same key ${d.key}`);
    if (d.key.startsWith('.backtest-gitops/')) throw new RenderError(`${d.key} is reserved for the manifest`);
    desired.set(d.key, d);
  }

  const files: PlannedFile[] = [];
  for (const d of desired.values()) {
    files.push(planDesired(d, owned.get(d.key), pending.get(d.key), input));
  }
  for (const e of owned.values()) {
    if (desired.has(e.key)) continue;
    if (e.source !== null && invalid.has(e.source)) {
      files.push({
        ...describe(e, 'keep'),
        reason: `${e.source} is invalid; keeping its last good DAG deployed`,
      });
    } else {
      const reason = e.source === null ? 'no longer rendered' : `${e.source} was removed`;
      files.push({ ...describe(e, 'delete'), reason, expectedVersion: e.etag });
    }
  }
  for (const [key, sha256] of pending) {
    if (desired.has(key)) continue;
    files.push({
      key,
      action: 'delete',
      dag_id: null,
      source: null,
      runs: 0,
      reason: 'left over from an interrupted apply; deleted only if it holds the content that apply wrote',
      pendingSha256: sha256,
    });
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
  };
}

function planDesired(
  d: DesiredFile,
  entry: ManifestEntry | undefined,
  pendingSha: string[] | undefined,
  input: PlanSyncInput,
): PlannedFile {
  const base = { key: d.key, dag_id: d.dag_id, source: d.source, runs: d.runs, sha256: d.sha256 };
  if (!entry) {
    if (pendingSha !== undefined) {
      return {
        ...base,
        action: 'create',
        pendingSha256: pendingSha,
        reason: 'announced by an interrupted apply; taken over only if it holds content we wrote',
      };
    }
    return input.adopt
      ? { ...base, action: 'create', reason: 'an unowned file at this key will be taken over (--adopt)' }
      : { ...base, action: 'create' };
  }
  const seen = input.observed ? (input.observed.get(d.key) ?? null) : undefined;
  const drifted = seen !== undefined && (seen === null || (entry.etag !== null && seen !== entry.etag));
  if (entry.sha256 !== d.sha256) {
    const old = input.previousContent?.get(d.key);
    const planned: PlannedFile = { ...base, action: 'update', expectedVersion: entry.etag };
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
