import pLimit from 'p-limit';
import { nextManifest } from '../plan/manifest.js';
import type { DesiredFile, Manifest, ManifestEntry, PlannedFile, SyncPlan } from '../plan/types.js';
import { TargetError } from '../shared/errors.js';
import { deleteOne, outcome, writeOne } from './apply-file-ops.js';
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
  concurrency: number;
  adopt: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, key: string) => void;
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
   * The final manifest write failed (conflict, or an error with unknown outcome). Returned,
   * not thrown, so the caller still learns what this round wrote before it re-plans.
   */
  manifestError: unknown;
}

/**
 * One round of apply: announce new keys, write, delete, record. The order is what keeps
 * ownership exact across crashes (a crash can happen between any two requests):
 *
 * 1. Announce: if the plan creates keys the manifest does not own, write the manifest with
 *    those keys (and the sha256 we will write) in `pending` first. Crash after this: the next
 *    plan turns pending keys into guarded creates/deletes; an object there is treated as ours
 *    only if its content hash is one we announced or want, so an unowned file is never taken.
 *    Updates of owned keys need no announcement, which keeps "one changed config = one object
 *    PUT + one manifest PUT".
 * 2. Write objects (create = If-None-Match, update = If-Match on the manifest's ETag). Crash:
 *    owned keys stay owned with their old ETag; the next update's If-Match fails and the
 *    object is read back — our own content (sha256 equal) is simply recorded.
 * 3. Delete owned objects whose config is gone, while the manifest still lists them. Crash:
 *    they are still owned, and the next apply deletes them again (a missing key is fine).
 *    Deleting after dropping them from the manifest could orphan them forever instead.
 * 4. Write the manifest (conditional on the version read or announced). A concurrent writer
 *    makes it fail; the caller re-reads, re-plans and runs another round.
 *
 * The manifest is not written before updates and deletes (that would double the cost of
 * every change), so after a crash in steps 2-3 it can still describe the old content of a key
 * the crashed apply already changed. The same desired state converges regardless (the key is
 * still planned and the write is recognised by hash). If the crashed apply had announced keys,
 * the next apply sees them pending and HEADs the keys it would leave unchanged (applyPlan),
 * which also covers a revert of the interrupted change; if it had not, such a revert is
 * found by the next drift check (`--check-drift`, the controller's periodic check).
 *
 * Every manifest write is conditional and keeps the pending keys it did not resolve, so a
 * writer that wins after our announcement has seen it. Known limit, inherent without locks:
 * if two applies race and one is killed between writing an object and recording it, while
 * the other has meanwhile dropped that key, the object stays unlisted. It is then treated as
 * unowned (never deleted; adopted by content hash when a config wants that key again) —
 * the safe direction: ownership can be lost for such a file, but never wrongly gained.
 */
export async function applyRound(input: RoundInput): Promise<RoundResult> {
  const { plan, store, desired } = input;
  const owned = new Set((input.base.manifest?.entries ?? []).map((e) => e.key));
  const writes = plan.files.filter(
    (f) => f.action === 'create' || f.action === 'update' || f.action === 'repair',
  );
  const deletes = plan.files.filter((f) => f.action === 'delete');
  const result: RoundResult = {
    outcomes: [],
    manifest: input.base,
    writes: 0,
    deletes: 0,
    manifestWrites: 0,
    fatal: null,
    manifestError: null,
  };
  if (writes.length === 0 && deletes.length === 0) return result;

  let current = input.base;
  const announce = writes
    .filter((f) => !owned.has(f.key))
    .map((f) => ({ key: f.key, sha256: need(f).sha256 }));
  if (announce.length > 0) {
    const announced = nextManifest(current.manifest, {
      generator: input.generator,
      commit: current.manifest?.commit ?? plan.commit,
      upsert: [],
      remove: [],
      addPending: announce,
      resolvePending: [],
    });
    current = { manifest: announced, version: await store.writeManifest(announced, current.version) };
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

  const written = await Promise.all(
    writes.map((f) =>
      limit(() =>
        guarded(f, () => writeOne(f, desired, store, owned.has(f.key), input.adopt, plan.commit, result)),
      ),
    ),
  );
  const removed = await Promise.all(
    deletes.map((f) => limit(() => guarded(f, () => deleteOne(f, store, result)))),
  );
  if (input.signal?.aborted)
    result.fatal ??= new TargetError('apply was stopped', store.location, { code: 'aborted' });
  result.outcomes = [...written, ...removed].sort((a, b) => (a.key < b.key ? -1 : 1));

  const upsert: ManifestEntry[] = written
    .filter((o) => o.status === 'done')
    .map((o) => {
      const d = need(o);
      const content = desired.get(o.key)?.content ?? '';
      const size = Buffer.byteLength(content);
      return {
        key: o.key,
        sha256: d.sha256,
        size,
        source: d.source,
        dag_id: d.dag_id,
        runs: d.runs,
        commit: plan.commit,
        etag: o.version ?? null,
      };
    });
  const next = nextManifest(current.manifest, {
    generator: input.generator,
    commit: plan.commit,
    upsert,
    remove: removed.filter((o) => o.status === 'done').map((o) => o.key),
    addPending: [],
    // Written keys became entries; conflicts and resolved leftovers are not ours to track.
    resolvePending: result.outcomes
      .filter((o) => o.status === 'done' || o.status === 'conflict')
      .map((o) => o.key),
  });
  try {
    const version = await store.writeManifest(next, current.version);
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
