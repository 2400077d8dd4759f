import { planSync } from '../plan/plan-sync.js';
import type { DesiredFile, Manifest, SyncPlan } from '../plan/types.js';
import { ManifestConflictError, SafetyError, TargetError } from '../shared/errors.js';
import { VERSION } from '../shared/version.js';
import type { ApplyOptions, ApplyResult, FileOutcome } from './apply-result.js';
import { applyRound, FATAL_CODES } from './apply-round.js';
import { checkClaims } from './claims.js';
import type { DagStore } from './dag-store.js';
import { observePending } from './observe-pending.js';

export type { ApplyOptions, ApplyResult, FileOutcome } from './apply-result.js';

/**
 * Executes a plan against a store, then keeps going until the target converges: a concurrent
 * writer (manifest conflict) or a write that failed after the SDK's own retries makes it
 * re-read the manifest, re-plan from the same desired files and run another round, with
 * exponential backoff and jitter between rounds. Safety rules are checked on every plan.
 * See applyRound for the order of writes and why it survives a crash at any point.
 */
export async function applyPlan(
  plan: SyncPlan,
  desired: DesiredFile[],
  store: DagStore,
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  const maxAttempts = opts.maxAttempts ?? 6;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const desiredByKey = new Map(desired.map((d) => [d.key, d]));
  const replan = async (base: { manifest: Manifest; version: string } | null): Promise<SyncPlan> => {
    if (base) await checkClaims(base.manifest, plan.commit, store.location, opts);
    const input = {
      desired,
      manifest: base?.manifest ?? null,
      manifestVersion: base?.version ?? null,
      invalidSources: plan.replan.invalidSources,
      commit: plan.commit,
      maxDeleteShare: plan.replan.maxDeleteShare,
      adopt: opts.adopt ?? plan.replan.adopt,
    };
    const first = planSync(input);
    const unobserved = first.unobservedPending ?? [];
    if (unobserved.length === 0) return first;
    return planSync({ ...input, pendingObserved: await observePending(store, unobserved) });
  };

  let current: SyncPlan;
  if (plan.base.version === undefined) current = await replan(await store.readManifest());
  else {
    const m = plan.base.manifest;
    current = plan;
    if (m) await checkClaims(m, plan.commit, store.location, opts);
    if (m && (plan.unobservedPending?.length ?? 0) > 0)
      current = await replan({ manifest: m, version: plan.base.version ?? '' });
  }
  const totals = { writes: 0, deletes: 0, manifestWrites: 0 };
  // What this apply did, over all rounds: a later round's outcome for a key replaces an
  // earlier one (a retried failure that succeeded), a key a later round found nothing to do
  // for keeps the outcome of the round that did it.
  const outcomes = new Map<string, FileOutcome>();
  for (let attempt = 1; ; attempt++) {
    if (current.massDelete && !opts.allowMassDelete) {
      const { deleted, owned, maxShare } = current.deleteCounts;
      throw new SafetyError(
        `refusing to delete ${deleted} of ${owned} owned DAGs in ${store.location} (more than ${Math.round(maxShare * 100)}%)`,
        'mass-delete',
        'check that --repo points at the right config repo; re-run with --allow-mass-delete if this is intended',
      );
    }
    const base = { manifest: current.base.manifest, version: current.base.version ?? null };
    let round: Awaited<ReturnType<typeof applyRound>>;
    try {
      round = await applyRound({
        plan: current,
        base,
        desired: desiredByKey,
        store,
        generator: opts.generator ?? `backtest-gitops ${VERSION}`,
        ...(opts.owner ? { owner: opts.owner } : {}),
        concurrency: opts.concurrency ?? 8,
        adopt: opts.adopt ?? plan.replan.adopt,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        // What the target stores is known only before the first round's writes.
        ...(opts.digest ? { digest: attempt === 1 ? opts.digest : { value: opts.digest.value } } : {}),
      });
    } catch (err) {
      round = {
        outcomes: [],
        writes: 0,
        deletes: 0,
        manifestWrites: 0,
        fatal: null,
        manifestError: err,
        manifest: base,
      };
    }
    // A write an earlier round reported failed (its answer was lost after S3 made it) that this
    // round's read-back found in place with the desired content is done, not failed; so is
    // one another apply was writing (untouched) that the manifest now records as desired.
    for (const f of current.files) {
      const prior = outcomes.get(f.key);
      if (prior?.status === 'failed' && f.action === 'unchanged' && (f.found || prior.untouched))
        outcomes.set(f.key, { ...prior, status: 'done', error: undefined });
    }
    totals.writes += round.writes;
    totals.deletes += round.deletes;
    totals.manifestWrites += round.manifestWrites;
    // A round whose manifest write failed is re-planned from a newer root, which re-decides
    // its conflicts: one judged against the older root may be another apply's announced
    // change (owned), and a key the new plan finds nothing to do for would keep it.
    for (const o of round.outcomes)
      if (!(round.manifestError && !round.fatal && o.status === 'conflict')) outcomes.set(o.key, o);
    if (round.fatal) throw round.fatal;
    if (round.manifestError) {
      // A concurrent writer, or a manifest write that failed after the SDK's retries (its
      // outcome unknown): re-read and re-plan; what was announced is read back first.
      if (!isRetryable(round.manifestError) || attempt >= maxAttempts) throw round.manifestError;
      await sleep(backoff(attempt));
      current = await replan(await readManifestRetrying(store, sleep));
      continue;
    }
    const failed = round.outcomes.filter((o) => o.status === 'failed');
    if (failed.length === 0 || attempt >= maxAttempts) {
      // Bookkeeping a crash or a lost race left behind (free when there is none).
      await store.collectGarbage?.();
      const files = [...outcomes.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      return result(current, files, attempt, round.manifest.version);
    }
    await sleep(backoff(attempt));
    // We just wrote this manifest, so no read is needed to plan the next round from it.
    const m = round.manifest;
    current = await replan(
      m.manifest && m.version !== null ? { manifest: m.manifest, version: m.version } : null,
    );
  }

  function result(p: SyncPlan, files: FileOutcome[], attempts: number, version: string | null): ApplyResult {
    const conflicts = files.filter((o) => o.status === 'conflict');
    const failed = files.filter((o) => o.status === 'failed' || o.status === 'skipped');
    return {
      commit: p.commit,
      target: store.location,
      plan: p,
      files,
      conflicts,
      failed,
      kept: p.files.filter((f) => f.action === 'keep'),
      attempts,
      ...totals,
      manifestVersion: version,
      ok: conflicts.length === 0 && failed.length === 0,
    };
  }
}

function isRetryable(err: unknown): boolean {
  return err instanceof ManifestConflictError || (err instanceof TargetError && !FATAL_CODES.has(err.code));
}

async function readManifestRetrying(store: DagStore, sleep: (ms: number) => Promise<void>) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.readManifest();
    } catch (err) {
      if (!isRetryable(err) || attempt >= 4) throw err;
      await sleep(backoff(attempt));
    }
  }
}

/** Full-jitter exponential backoff: up to 200 ms, 400 ms, 800 ms, ... capped at 5 s. */
function backoff(attempt: number): number {
  return Math.random() * Math.min(5000, 200 * 2 ** (attempt - 1));
}
