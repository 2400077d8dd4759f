import { loadConfigRepo } from '../config/index.js';
import type { ConfigRepoResult } from '../config/types.js';
import { type PlanSyncInput, planSync } from '../plan/plan-sync.js';
import type { DesiredFile, Manifest, SyncPlan } from '../plan/types.js';
import { renderRepo } from '../render/index.js';
import type { DagStore } from '../targets/dag-store.js';
import { observePending } from '../targets/observe-pending.js';

/**
 * The one pipeline every caller runs — `backtestctl plan` / `apply`, the controller's deploy,
 * the benches and the tests: configs → validate → render → read the target's manifest →
 * plan. What differs between callers is only what they ask to look at (drift, pending keys,
 * diffs); the plan is the object apply executes.
 */

/** What to look at besides the manifest, each costing requests on the target. */
export interface TargetLook {
  /**
   * Drift (one stat per owned file): `off` looks at nothing; `report` counts drifted files
   * but plans no repair; `repair` plans the repairs.
   */
  drift?: 'off' | 'report' | 'repair';
  /** Read back the keys an interrupted apply announced (only after a crash), so the plan shows the truth. */
  pending?: boolean;
  /** Old contents of updated files, for the diffs a human reads (one GET each; never for apply). */
  diffs?: boolean;
}

export interface PlanAgainstTargetInput extends TargetLook {
  desired: DesiredFile[];
  /** Config files that failed validation: their deployed DAGs are kept. */
  invalidSources: string[];
  store: DagStore;
  commit: string;
  maxDeleteShare?: number;
  adopt?: boolean;
}

export interface TargetPlan {
  plan: SyncPlan;
  /** The manifest read (null: nothing deployed yet) and its version. */
  current: { manifest: Manifest; version: string } | null;
  /** Files whose bytes differ from the manifest (with `drift` report or repair). */
  driftDetected: number;
}

/** Desired files → plan against what the target's manifest says is deployed. */
export async function planAgainstTarget(input: PlanAgainstTargetInput): Promise<TargetPlan> {
  const { store } = input;
  const drift = input.drift ?? 'off';
  // Without a drift check the planner needs no ETag of a file that stays as it is, so the
  // store may leave unread what already matches the render (S3: shards whose key hash does).
  const current = await store.readManifest(drift === 'off' ? { desired: input.desired } : undefined);
  const pending = input.pending ? (current?.manifest.pending?.map((p) => p.key) ?? []) : [];
  const base: PlanSyncInput = {
    desired: input.desired,
    manifest: current?.manifest ?? null,
    manifestVersion: current?.version ?? null,
    invalidSources: input.invalidSources,
    commit: input.commit,
    ...(input.maxDeleteShare !== undefined ? { maxDeleteShare: input.maxDeleteShare } : {}),
    ...(input.adopt ? { adopt: true } : {}),
    ...(pending.length > 0 ? { pendingObserved: await observePending(store, pending) } : {}),
  };
  let plan = planSync(base);
  let driftDetected = 0;
  let planned = base;
  if (drift !== 'off' && current) {
    const observed = await store.stat(current.manifest.entries.map((e) => e.key));
    const withDrift = { ...base, observed };
    const driftPlan = planSync(withDrift);
    driftDetected = driftPlan.files.filter((f) => f.action === 'repair').length;
    if (drift === 'repair') [plan, planned] = [driftPlan, withDrift];
  }
  const updated = plan.files.filter((f) => f.action === 'update').map((f) => f.key);
  if (input.diffs && updated.length > 0) {
    const previous = await Promise.all(updated.map(async (k) => [k, await store.get(k)] as const));
    const previousContent = new Map(previous.filter((p): p is [string, string] => p[1] !== null));
    plan = planSync({ ...planned, previousContent });
  }
  return { plan, current, driftDetected };
}

export interface PrepareSyncInput extends TargetLook {
  /** The config repository's files (path → text), as read from a folder or a git tree. */
  files: ReadonlyMap<string, string>;
  /** Path → last commit that changed the file (the git adapter's lastCommits); runs get BACKTEST_COMMIT. */
  commits?: ReadonlyMap<string, string>;
  /** Environment in backtest-gitops.yaml whose defaults apply. */
  environment?: string;
  store: DagStore;
  commit: string;
  maxDeleteShare?: number;
  adopt?: boolean;
}

export interface PreparedSync extends TargetPlan {
  config: ConfigRepoResult;
  desired: DesiredFile[];
}

/** Configs → validate → render → plan against the target: what `plan` prints and `apply` executes. */
export async function prepareSync(input: PrepareSyncInput): Promise<PreparedSync> {
  const { files, environment, commits, ...rest } = input;
  const config = loadConfigRepo(files, { environment, ...(commits ? { commits } : {}) });
  const desired = renderRepo(config.specs);
  const planned = await planAgainstTarget({ ...rest, desired, invalidSources: config.invalidFiles });
  return { ...planned, config, desired };
}
