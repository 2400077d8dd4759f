import type { DeployReport } from '../mwaa/deploy-report.js';
import type { Logger } from '../shared/logger.js';
import type { ControllerMetrics, ReconcileResult } from './metrics.js';
import type { Clock, ControllerPorts, DeployResult, StepContext } from './ports.js';
import { type RetryPolicy, withRetry } from './retry.js';
import type { ControllerStatus } from './status.js';

export interface ReconcilerSettings {
  suspend: boolean;
  drift: 'report' | 'repair' | 'off';
  driftCheckIntervalMs: number;
  /** Retries of the fetch step; the other steps retry inside their clients (S3 SDK, apply rounds, Octokit), never twice. */
  retry: RetryPolicy;
  /** Target location, for the failure report. */
  target: string;
  /** Longest one step may run before its signal aborts it (default 5 minutes). */
  stepTimeoutMs?: number;
}

export type StepName = 'lease' | 'fetch' | 'validate-prs' | 'deploy' | 'import-check' | 'report' | 'results';

/**
 * One reconcile: fetch → plan and apply the default branch (when it moved, a drift check is
 * due, or its last deploy was not complete) → MWAA import check → GitHub deploy report →
 * validate open PRs. The deploy comes first and needs nothing from GitHub, so an outage
 * there delays no deploy. One retry policy per call: only the fetch is retried here; S3,
 * apply and Octokit retry inside their clients. Every step has a time budget (its signal
 * aborts). A step that fails is logged and counted, later independent steps still run, and
 * nothing is thrown (the process must outlive any failure).
 */
export class Reconciler {
  private sequence = 0;

  constructor(
    private readonly ports: ControllerPorts,
    private readonly settings: ReconcilerSettings,
    private readonly status: ControllerStatus,
    private readonly metrics: ControllerMetrics,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  async reconcile(reasons: string[], signal: AbortSignal): Promise<ReconcileResult> {
    const id = `${this.clock.now().toString(36)}-${(++this.sequence).toString(36)}`;
    const log = this.log.child({ reconcile: id });
    const ctx: StepContext = { signal, log };
    const started = this.clock.now();
    log.info({ reasons }, 'reconcile started');
    let failed = false;
    const step = async <T>(name: StepName, run: (ctx: StepContext) => Promise<T>): Promise<T | undefined> => {
      const budget = AbortSignal.timeout(this.settings.stepTimeoutMs ?? 300_000);
      const stepCtx: StepContext = { log, signal: AbortSignal.any([signal, budget]) };
      const policy = name === 'fetch' ? this.settings.retry : { ...this.settings.retry, attempts: 1 };
      try {
        return await withRetry(
          () => run(stepCtx),
          policy,
          this.clock,
          stepCtx.signal,
          (err, attempt, delayMs) =>
            log.warn({ step: name, attempt, delayMs, err: describe(err) }, `${name} failed; retrying`),
        );
      } catch (err) {
        if (signal.aborted) throw err;
        failed = true;
        this.metrics.stepFailures.inc({ step: name });
        const timedOut = budget.aborted ? { timedOutAfterMs: this.settings.stepTimeoutMs ?? 300_000 } : {};
        log.error({ step: name, err: describe(err), ...timedOut }, `${name} failed`);
        return undefined;
      }
    };

    // A step that completed but left work undone (files not applied) fails the reconcile too.
    const partial = (name: StepName, message: string) => {
      failed = true;
      this.metrics.stepFailures.inc({ step: name });
      log.error({ step: name }, message);
    };

    let result: ReconcileResult;
    try {
      await this.run(ctx, step, partial);
      // Runs go on whether or not the branch moved: every reconcile follows them a little.
      const results = this.ports.results;
      if (results && !this.settings.suspend) await step('results', (c) => results.poll(c));
      result = failed ? 'failure' : 'success';
    } catch (err) {
      // catch-all: a failed reconcile is logged and counted; the loop runs the next one.
      result = signal.aborted ? 'aborted' : 'failure';
      if (!signal.aborted) log.error({ err: describe(err) }, 'reconcile failed');
    }
    const ended = this.clock.now();
    this.metrics.reconciles.inc({ result });
    this.metrics.reconcileDuration.observe((ended - started) / 1000);
    if (result !== 'aborted') this.status.lastReconcileAt = ended;
    if (result === 'success') {
      this.status.lastSuccessAt = ended;
      this.metrics.lastSuccessfulReconcile.set(ended / 1000);
    }
    log.info({ result, durationMs: ended - started }, 'reconcile finished');
    return result;
  }

  private async run(
    ctx: StepContext,
    step: <T>(name: StepName, run: (ctx: StepContext) => Promise<T>) => Promise<T | undefined>,
    partial: (name: StepName, message: string) => void,
  ) {
    const { ports, status } = this;
    const leader = ports.leader;
    if (leader) {
      const lease = await step('lease', () => leader.acquire());
      this.metrics.leader.set(lease?.leader ? 1 : 0);
      if (!lease?.leader) {
        if (lease)
          ctx.log.info(
            { holder: lease.holder, until: lease.expiresAt },
            'standby: another replica holds the lease',
          );
        return;
      }
    }
    const head = await step('fetch', (c) => ports.repo.fetchHead(c));
    status.repoReachable = head !== undefined;
    if (head === undefined) return;
    await this.deployHead(head, ctx, step, partial);
    // A long deploy may have outlived the lease: renew it (or stand down) before writing to GitHub.
    if (leader && !(await step('lease', () => leader.acquire()))?.leader) return;
    const prs = ports.pullRequests;
    if (prs) {
      const checked = await step('validate-prs', (c) => prs.validateOpenPullRequests(c));
      if (checked?.unfinished)
        partial('validate-prs', `${checked.unfinished} pull request check(s) could not complete`);
    }
  }

  private async deployHead(
    head: string,
    ctx: StepContext,
    step: <T>(name: StepName, run: (ctx: StepContext) => Promise<T>) => Promise<T | undefined>,
    partial: (name: StepName, message: string) => void,
  ) {
    const { ports, status, settings } = this;
    const now = this.clock.now();
    const driftDue =
      settings.drift !== 'off' &&
      (status.lastDriftCheckAt === null || now - status.lastDriftCheckAt >= settings.driftCheckIntervalMs);
    if (head === status.lastDeployedCommit && !driftDue) {
      ctx.log.debug({ commit: head }, 'default branch unchanged; nothing to deploy');
      return;
    }
    const dryRun = settings.suspend;
    if (dryRun) ctx.log.info({ commit: head }, 'suspended: planning only, nothing is applied');
    let deployError: unknown;
    const result = await step('deploy', async (c) => {
      try {
        return await ports.deployer.deploy(
          { commit: head, checkDrift: driftDue, drift: settings.drift, dryRun },
          c,
        );
      } catch (err) {
        deployError = err;
        throw err;
      }
    });
    if (!result) {
      await this.reportFailure(head, deployError, step);
      return;
    }
    if (driftDue) status.lastDriftCheckAt = now;
    this.record(result, dryRun, ctx);
    // Only a complete apply of valid configs settles the commit; otherwise the next reconcile
    // re-plans and retries what is left, even if the branch does not move.
    if (dryRun || result.report.ok) status.lastDeployedCommit = head;
    else partial('deploy', `${head.slice(0, 7)} is not fully live: ${result.report.summary}`);
    status.lastReportedFailure = null;
    // Report what changed, and what main asks for that is not live, even when nothing changed.
    if (dryRun || (!result.applied && result.report.ok)) return;

    let report = result.report;
    const importCheck = ports.importCheck;
    if (importCheck && result.applied) {
      const verified = await step('import-check', (c) => importCheck.verify(report, c));
      if (verified) {
        report = verified;
        this.metrics.importErrors.set(verified.dags.filter((d) => d.imported === false).length);
        if (!verified.ok) partial('import-check', `${head.slice(0, 7)}: ${verified.summary}`);
      }
    }
    const reporter = ports.deployReporter;
    const leader = ports.leader;
    if (leader && !(await step('lease', () => leader.acquire()))?.leader) return;
    if (reporter) await step('report', (c) => reporter.report(report, c));
    const results = ports.results;
    const deployed = report;
    if (results && result.applied) await step('results', (c) => results.track(deployed, c));
  }

  private record(result: DeployResult, dryRun: boolean, ctx: StepContext): void {
    const { metrics } = this;
    metrics.dagsManaged.set(result.dagsManaged);
    if (result.driftDetected > 0) {
      metrics.driftDetected.inc(result.driftDetected);
      ctx.log.warn(
        { drift: result.driftDetected, mode: this.settings.drift },
        'drift detected in the target',
      );
    }
    if (!dryRun && result.applied) {
      for (const [op, count] of Object.entries(result.operations)) {
        if (count > 0) metrics.applyOperations.inc({ op }, count);
      }
    }
    ctx.log.info(
      {
        commit: result.commit,
        applied: result.applied,
        dryRun,
        operations: result.operations,
        dags: result.dagsManaged,
      },
      result.applied ? 'deployed' : dryRun ? 'planned (suspended)' : 'target up to date',
    );
  }

  /** A deploy that failed after its retries is reported once per distinct failure, not every poll. */
  private async reportFailure(
    commit: string,
    err: unknown,
    step: <T>(name: StepName, run: (ctx: StepContext) => Promise<T>) => Promise<T | undefined>,
  ): Promise<void> {
    const reporter = this.ports.deployReporter;
    const { message, code } = describe(err);
    const key = `${commit}:${message}`;
    if (!reporter || this.settings.suspend || this.status.lastReportedFailure === key) return;
    // A newer commit is already live (another replica was faster): nothing failed for GitHub to hear about.
    if (code === 'superseded') return;
    const report: DeployReport = {
      commit,
      target: this.settings.target,
      environment: null,
      airflow_version: null,
      dags: [],
      kept_invalid: [],
      ok: false,
      summary: `deploy failed: ${message}`.slice(0, 140),
    };
    const sent = await step('report', async (c) => {
      await reporter.report(report, c);
      return true;
    });
    if (sent) this.status.lastReportedFailure = key;
  }
}

/** Error fields for the log: name, code, message, hint (no stack for known errors). */
export function describe(err: unknown): { name: string; message: string; code?: string; hint?: string } {
  if (err instanceof Error) {
    const { code, hint } = err as { code?: unknown; hint?: unknown };
    return {
      name: err.name,
      message: err.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof hint === 'string' ? { hint } : {}),
    };
  }
  return { name: 'Error', message: String(err) };
}
