import type { ConfigRepoResult } from '../config/types.js';
import type { ConfigRepoReader } from '../git/index.js';
import type { DagDeployStatus, DeployReport, NotLive } from '../mwaa/deploy-report.js';
import { prepareSync } from '../pipeline/prepare-sync.js';
import { checkNoop, renderDigest } from '../pipeline/render-digest.js';
import type { Manifest, ManifestOwner, SyncPlan } from '../plan/types.js';
import { type ApplyResult, applyPlan } from '../targets/apply-plan.js';
import { checkClaims } from '../targets/claims.js';
import type { DagStore } from '../targets/dag-store.js';
import type { DeployPort, DeployRequest, DeployResult, StepContext } from './ports.js';

export interface PipelineDeployerOptions {
  reader: Pick<ConfigRepoReader, 'readConfigFiles'> & {
    /** Path → last commit that changed it at `sha` (runs get BACKTEST_COMMIT); absent: none. */
    lastCommits?(sha: string): Promise<Map<string, string>>;
  };
  /** Opened once, on first use (an mwaa:// target resolves its bucket through MWAA). */
  openStore: () => Promise<DagStore>;
  /** Folder inside the repository holding the configs ('.' = root). */
  configPath: string;
  environment?: string;
  maxDeleteShare: number;
  allowMassDelete: boolean;
  concurrency?: number;
  /** The source this controller deploys (the target is added once the store is open). */
  owner?: Omit<ManifestOwner, 'target'>;
  /** Git ancestry in the repo cache, for ordered deploys. */
  isAncestor?: (ancestor: string, commit: string) => Promise<boolean>;
}

type Op = 'create' | 'update' | 'delete' | 'repair';
const OPS: readonly Op[] = ['create', 'update', 'delete', 'repair'];

/**
 * The deploy step on the real parts: read the configs at the commit from the git cache,
 * validate, render, plan against the target's manifest, apply. Invalid configs keep their
 * last good DAG (the planner's `keep`); drift is planned only when a check is due, and
 * repaired only in `repair` mode.
 */
export class PipelineDeployer implements DeployPort {
  private store: Promise<DagStore> | null = null;
  /** DAGs owned after this process's last full deploy; a no-op skip reports it (none yet: no skip). */
  private dagsManaged: number | null = null;
  /**
   * The render digest of the commit last looked at. A commit's configs and their last commits
   * never change (and environment, owner and renderer are fixed for this process), so polling
   * an unchanged branch re-reads nothing: one HEAD of the manifest per poll.
   */
  private lastDigest: { commit: string; value: string } | null = null;

  constructor(private readonly opts: PipelineDeployerOptions) {}

  async deploy(request: DeployRequest, ctx: StepContext): Promise<DeployResult> {
    const { opts } = this;
    this.store ??= opts.openStore().catch((err: unknown) => {
      this.store = null;
      throw err;
    });
    const store = await this.store;
    const readInputs = async () => {
      const [read, lastCommits] = await Promise.all([
        opts.reader.readConfigFiles(request.commit),
        opts.reader.lastCommits?.(request.commit),
      ]);
      const commits = lastCommits ? scopeToFolder(lastCommits, opts.configPath) : undefined;
      return { files: scopeToFolder(read, opts.configPath), ...(commits ? { commits } : {}) };
    };
    const owner = opts.owner ? { ...opts.owner, target: store.location } : null;
    let inputs: Awaited<ReturnType<typeof readInputs>> | null = null;
    let inputsDigest: string;
    if (this.lastDigest?.commit === request.commit) inputsDigest = this.lastDigest.value;
    else {
      inputs = await readInputs();
      inputsDigest = renderDigest({ ...inputs, environment: opts.environment ?? null, owner });
      this.lastDigest = { commit: request.commit, value: inputsDigest };
    }
    ctx.signal.throwIfAborted();
    // The no-op check (one HEAD of the manifest, no body): the inputs the last converged apply
    // rendered, so nothing is validated, rendered or planned. A due drift check looks further.
    const check = await checkNoop(store, inputsDigest, request.checkDrift || this.dagsManaged === null);
    if (check.skip && this.dagsManaged !== null) {
      const none = { create: 0, update: 0, delete: 0, repair: 0 };
      const report = this.noopReport(request.commit, store.location);
      return {
        commit: request.commit,
        driftDetected: 0,
        dagsManaged: this.dagsManaged,
        applied: false,
        operations: none,
        report,
      };
    }
    inputs ??= await readInputs();
    const { files, commits } = inputs;
    // The one pipeline (src/pipeline): validate, render, read the manifest, plan; drift is
    // looked at only when a check is due, and planned as repairs only in `repair` mode.
    const { config, desired, current, plan, driftDetected } = await prepareSync({
      files,
      ...(commits ? { commits } : {}),
      environment: opts.environment,
      store,
      commit: request.commit,
      maxDeleteShare: opts.maxDeleteShare,
      drift: request.checkDrift ? request.drift : 'off',
    });
    for (const issue of config.issues.filter((i) => i.severity === 'error').slice(0, 50)) {
      ctx.log.warn(
        { file: issue.file, line: issue.line, column: issue.column, code: issue.code },
        issue.message,
      );
    }
    const claims = {
      ...(opts.owner ? { owner: { ...opts.owner, target: store.location } } : {}),
      ...(opts.isAncestor ? { isAncestor: opts.isAncestor } : {}),
    };
    // Owner and order before anything is written: a foreign or newer manifest is refused.
    if (current) await checkClaims(current.manifest, request.commit, store.location, claims);
    const notLive = notLiveReport(config, current?.manifest ?? null);
    const planned = countOps(plan);
    const changes = OPS.reduce((n, op) => n + planned[op], 0);
    const dagsBefore = current?.manifest.entries.filter((e) => e.dag_id !== null).length ?? 0;
    const base = { commit: request.commit, driftDetected, dagsManaged: dagsBefore };
    const pendingLeft = (current?.manifest.pending?.length ?? 0) > 0;
    const digest = check.skip ? { value: check.digest, stored: check.digest } : check.digest;
    if (request.dryRun || (changes === 0 && !pendingLeft)) {
      const report = this.report(request.commit, store.location, [], notLive, plan);
      if (request.dryRun) return { ...base, applied: false, operations: planned, report };
      // Nothing to write, but the stored digest is missing or stale: record it (one
      // conditional manifest write, only when the target is exactly as rendered), so the
      // next deploy of these inputs is one HEAD.
      if (digest.stored !== undefined && digest.stored !== digest.value && notLive.length === 0) {
        await applyPlan(plan, desired, store, { signal: ctx.signal, ...claims, digest });
      }
      this.dagsManaged = dagsBefore;
      return { ...base, applied: false, operations: planned, report };
    }
    ctx.log.info({ commit: request.commit, ...planned, target: store.location }, 'applying');
    const result = await applyPlan(plan, desired, store, {
      signal: ctx.signal,
      allowMassDelete: opts.allowMassDelete,
      concurrency: opts.concurrency ?? 8,
      ...claims,
      digest,
    });
    const done = result.files.filter((f) => f.status === 'done');
    const operations = { create: 0, update: 0, delete: 0, repair: 0 };
    for (const f of done) if (isOp(f.action)) operations[f.action]++;
    const dags: DagDeployStatus[] = done.flatMap((f) =>
      f.dag_id !== null && isOp(f.action)
        ? [
            {
              dag_id: f.dag_id,
              source: f.source,
              action: f.action,
              imported: null,
              import_error: null,
              unpaused: null,
              triggered: null,
            },
          ]
        : [],
    );
    const report = this.report(request.commit, store.location, dags, notLive, result.plan, result);
    const dagsManaged = dagsAfter(result, dagsBefore);
    this.dagsManaged = result.ok ? dagsManaged : null;
    return { ...base, applied: true, operations, dagsManaged, report };
  }

  /** The report of a deploy the no-op check skipped: the target is as the commit renders. */
  private noopReport(commit: string, target: string): DeployReport {
    return {
      commit,
      target,
      environment: null,
      airflow_version: null,
      dags: [],
      kept_invalid: [],
      ok: true,
      summary: `${commit.slice(0, 7)}: up to date (render digest unchanged)`,
    };
  }

  private report(
    commit: string,
    target: string,
    dags: DagDeployStatus[],
    notLive: NotLive[],
    plan: SyncPlan,
    result?: ApplyResult,
  ): DeployReport {
    const invalid = [...new Set(notLive.map((n) => n.file))];
    const problems = result ? result.conflicts.length + result.failed.length : 0;
    const count = (a: Op) => dags.filter((d) => d.action === a).length;
    const summary = result
      ? `${commit.slice(0, 7)}: ${count('create')} created, ${count('update')} updated, ${count('delete')} deleted` +
        (invalid.length ? `, ${invalid.length} invalid kept` : '') +
        (problems ? `, ${problems} not applied` : '')
      : invalid.length > 0
        ? `${commit.slice(0, 7)}: not live: ${invalid.length} invalid config(s) (${invalid.join(', ')}); last good DAGs kept`
        : `${commit.slice(0, 7)}: up to date (${plan.summary.unchanged.length} DAGs)`;
    // Nothing reports success while the target differs from what the commit asks for.
    return {
      commit,
      target,
      environment: null,
      airflow_version: null,
      dags,
      kept_invalid: invalid,
      ...(notLive.length > 0 ? { not_live: notLive } : {}),
      ok: problems === 0 && invalid.length === 0,
      summary: summary.slice(0, 140),
    };
  }
}

/** Each invalid config's first error, and what runs instead of what it asks for. */
export function notLiveReport(config: ConfigRepoResult, manifest: Manifest | null): NotLive[] {
  return config.invalidFiles.map((file) => {
    const first = config.issues.find((i) => i.file === file && i.severity === 'error');
    const kept = (manifest?.entries ?? []).filter((e) => e.source === file && e.dag_id !== null);
    const live =
      kept.length > 0
        ? kept.map((e) => `DAG ${e.dag_id} from commit ${e.commit.slice(0, 7)} (last good)`).join(', ')
        : 'nothing (no earlier version was deployed)';
    return {
      file,
      line: first?.line ?? 1,
      column: first?.column ?? 1,
      message: first?.message ?? 'invalid',
      live,
    };
  });
}

function isOp(action: string): action is Op {
  return (OPS as readonly string[]).includes(action);
}

function countOps(plan: SyncPlan): Record<Op, number> {
  const counts = { create: 0, update: 0, delete: 0, repair: 0 };
  for (const f of plan.files) if (isOp(f.action)) counts[f.action]++;
  return counts;
}

/** DAGs owned after the apply: before, plus DAG files created, minus DAG files deleted (support files excluded). */
function dagsAfter(result: ApplyResult, before: number): number {
  const done = (action: string) =>
    result.files.filter((f) => f.status === 'done' && f.action === action && f.dag_id !== null).length;
  return before + done('create') - done('delete');
}

/** Keeps the files under `folder` and makes their paths relative to it. */
export function scopeToFolder(files: Map<string, string>, folder: string): Map<string, string> {
  const prefix = folder.replace(/^\.\/?/, '').replace(/\/+$/, '');
  if (prefix === '') return files;
  const scoped = new Map<string, string>();
  for (const [path, text] of files) {
    if (path.startsWith(`${prefix}/`)) scoped.set(path.slice(prefix.length + 1), text);
  }
  return scoped;
}
