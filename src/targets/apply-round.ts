import pLimit from 'p-limit';
import { manifestEntryFor, nextManifest } from '../plan/manifest.js';
import type {
  DesiredFile,
  Manifest,
  ManifestEntry,
  ManifestOwner,
  PendingEntry,
  PlannedFile,
  SyncPlan,
} from '../plan/types.js';
import { TargetError } from '../shared/errors.js';
import { CommittedManifest, deleteOne, outcome, plannedConflict, writeOne } from './apply-file-ops.js';
import type { FileOutcome } from './apply-result.js';
import type { DagStore } from './dag-store.js';

/** Errors that no retry can fix: stop the apply at once and tell the operator. */
export const FATAL_CODES = new Set([
  'access-denied',
  'no-such-bucket',
  'credentials',
  'bad-key',
  'aborted',
  'manifest-corrupt',
  'unreachable',
]);

export interface RoundInput {
  plan: SyncPlan;
  base: { manifest: Manifest | null; version: string | null };
  desired: Map<string, DesiredFile>;
  store: DagStore;
  generator: string;
  /** Recorded in every manifest this round writes (absent = keep the base manifest's). */
  owner?: ManifestOwner;
  concurrency: number;
  adopt: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, key: string) => void;
  /**
   * The render digest of the desired files (src/pipeline/render-digest.ts), stored with the
   * manifest by a round that leaves the target exactly as rendered; `stored` is the digest
   * the target has now (`undefined`: not known, so a round with nothing to change writes none).
   */
  digest?: { value: string; stored?: string | null };
}

export interface RoundResult {
  outcomes: FileOutcome[];
  manifest: { manifest: Manifest | null; version: string | null };
  writes: number;
  deletes: number;
  manifestWrites: number;
  /** A fatal error seen after the manifest was saved; the caller rethrows it. */
  fatal: TargetError | null;
  /**
   * A manifest write failed (conflict, or an error with unknown outcome). Returned, not
   * thrown, so the caller still learns what this round wrote before it re-plans.
   */
  manifestError: unknown;
}

/**
 * One round of apply: announce, change, record. The order is what keeps the manifest the
 * truth across crashes (a crash can happen between any two requests):
 *
 * 1. Announce: write the manifest with every change this round will make in `pending`
 *    (key + the sha256 it will write, or null for a delete), before the first of them. If
 *    that write fails, nothing was changed. Crash after it: the next apply reads every
 *    pending key back before planning (applyPlan), so it sees what the crashed apply
 *    actually left, whether the next commit is the same, a revert or a newer one.
 * 2. Write objects (create = If-None-Match, update = If-Match on the recorded ETag). A
 *    failed condition reads the object back: our own content (the desired hash, the recorded
 *    one or an announced one) is taken over; anything else is somebody's change, reported as
 *    a conflict and left as it is.
 * 3. Delete owned objects whose config is gone, conditional on the recorded ETag (DagStore.delete),
 *    with the same read-back on a mismatch: a hand-fixed object is reported, never deleted.
 * 4. Record: write the manifest with the outcomes, the commit and the owner, conditional on
 *    the announced version; pending keeps only changes whose outcome is unknown (failed).
 *    A concurrent writer makes it fail; the caller re-reads, re-plans and runs another round.
 *
 * Known limit, inherent without a lock: if two applies race and one is killed between
 * writing a new object and recording it, while the other has meanwhile resolved its
 * announcement, the object stays unlisted. It is then treated as unowned (never deleted;
 * taken back by content hash when a config wants that key again): ownership can be lost for
 * such a file, never wrongly gained. The controller's leader lock keeps replicas from racing.
 */
export async function applyRound(input: RoundInput): Promise<RoundResult> {
  const { plan, store, desired } = input;
  const writes = plan.files.filter(
    (f) => f.action === 'create' || f.action === 'update' || f.action === 'repair',
  );
  const deletes = plan.files.filter((f) => f.action === 'delete');
  // Keys read back after an interruption that need no request, only a new record.
  const records = plan.files.filter((f) => f.found && (f.action === 'unchanged' || f.action === 'keep'));
  const result: RoundResult = {
    outcomes: [],
    manifest: input.base,
    writes: 0,
    deletes: 0,
    manifestWrites: 0,
    fatal: null,
    manifestError: null,
  };
  const basePending = input.base.manifest?.pending ?? [];
  // The digest says "this manifest is exactly what these inputs render": never with an
  // invalid config kept, a conflict, or an outcome still unknown.
  const exact =
    input.digest !== undefined &&
    plan.replan.invalidSources.length === 0 &&
    plan.files.every((f) => f.action !== 'keep' && f.action !== 'conflict');
  // Nothing to change and nothing announced to resolve (planned conflicts only come from announcements).
  if (writes.length === 0 && deletes.length === 0 && basePending.length === 0) {
    const d = input.digest;
    const m = input.base.manifest;
    // Already as rendered but the stored digest is stale or missing (an older version, a
    // settings edit that renders alike): one conditional manifest write records it.
    if (exact && d && d.stored !== undefined && d.stored !== d.value && m && input.base.version !== null) {
      try {
        const version = await store.writeManifest(m, input.base.version, d.value);
        result.manifestWrites++;
        result.manifest = { manifest: m, version };
      } catch (err) {
        result.manifestError = err;
      }
    }
    return result;
  }

  let current = input.base;
  const announce: PendingEntry[] = [
    ...writes.map((f) => ({ key: f.key, sha256: need(f).sha256 })),
    ...deletes.filter((f) => f.found !== null).map((f) => ({ key: f.key, sha256: null })),
  ];
  if (announce.length > 0) {
    const announced = nextManifest(current.manifest, {
      generator: input.generator,
      commit: current.manifest?.commit ?? plan.commit,
      ...(input.owner ? { owner: input.owner } : {}),
      upsert: [],
      remove: [],
      addPending: announce,
      resolvePending: [],
    });
    try {
      current = { manifest: announced, version: await store.writeManifest(announced, current.version) };
    } catch (err) {
      // Nothing was changed yet: the caller re-reads and re-plans (or gives up and says so).
      result.manifestError = err;
      return result;
    }
    result.manifestWrites++;
  }

  const total = writes.length + deletes.length;
  let done = 0;
  const limit = pLimit(input.concurrency);
  const guarded = async (f: PlannedFile, op: () => Promise<FileOutcome>): Promise<FileOutcome> => {
    if (result.fatal || input.signal?.aborted)
      return outcome(f, 'skipped', { error: 'apply stopped before this change' });
    let o: FileOutcome;
    try {
      o = await op();
    } catch (err) {
      if (err instanceof TargetError && FATAL_CODES.has(err.code)) result.fatal ??= err;
      o = outcome(f, 'failed', { error: err instanceof Error ? err.message : String(err) });
    }
    input.onProgress?.(++done, total, f.key);
    return o;
  };

  // The conflict checks of this round share their reads of the committed manifest.
  const committed = new CommittedManifest(store);
  const written = await Promise.all(
    writes.map((f) =>
      limit(() => guarded(f, () => writeOne(f, desired, store, input.adopt, plan.commit, result, committed))),
    ),
  );
  const removed = await Promise.all(
    deletes.map((f) => limit(() => guarded(f, () => deleteOne(f, store, result, committed)))),
  );
  if (input.signal?.aborted)
    result.fatal ??= new TargetError('apply was stopped', store.location, { code: 'aborted' });
  // Conflicts the planner already saw (read back after an interruption) are outcomes too.
  // Each is read back once more: content another apply wrote is not somebody's file.
  const seen = await Promise.all(
    plan.files
      .filter((f) => f.action === 'conflict')
      .map((f) =>
        limit(async () => {
          try {
            return await plannedConflict(f, store, committed);
          } catch (err) {
            if (!(err instanceof TargetError)) throw err;
            if (FATAL_CODES.has(err.code)) result.fatal ??= err;
            return outcome(f, 'failed', { error: err.message });
          }
        }),
      ),
  );
  result.outcomes = [...written, ...removed, ...seen].sort((a, b) => (a.key < b.key ? -1 : 1));

  const upsert: ManifestEntry[] = written
    .filter((o) => o.status === 'done')
    .map((o) => manifestEntryFor(need(o), o.version ?? null, plan.commit));
  for (const f of records) {
    const found = f.found;
    if (!found) continue;
    const d = desired.get(f.key);
    const old = input.base.manifest?.entries.find((e) => e.key === f.key);
    if (d && d.sha256 === found.sha256) upsert.push(manifestEntryFor(d, found.version, plan.commit));
    else if (old) upsert.push({ ...old, sha256: found.sha256, etag: found.version });
  }
  // What is still unknown stays announced: a failed write or delete may have happened.
  const unknown = new Set(
    result.outcomes.filter((o) => o.status === 'failed' && !o.untouched).map((o) => o.key),
  );
  const next = nextManifest(current.manifest, {
    generator: input.generator,
    commit: plan.commit,
    ...(input.owner ? { owner: input.owner } : {}),
    upsert,
    remove: removed.filter((o) => o.status === 'done').map((o) => o.key),
    addPending: [],
    resolvePending: (current.manifest?.pending ?? []).map((p) => p.key).filter((k) => !unknown.has(k)),
  });
  const settled =
    exact && result.outcomes.every((o) => o.status === 'done') && (next.pending?.length ?? 0) === 0;
  try {
    const version = await store.writeManifest(next, current.version, settled ? input.digest?.value : null);
    result.manifestWrites++;
    result.manifest = { manifest: next, version };
  } catch (err) {
    result.manifestError = err;
  }
  return result;

  function need(f: { key: string }): DesiredFile {
    const d = desired.get(f.key);
    if (!d) throw new Error(`apply: no desired content for ${f.key}`);
    return d;
  }
}
