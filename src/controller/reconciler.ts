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
  retry: RetryPolicy;
  /** Target location, for the failure report. */
  target: string;
}

export type StepName = 'fetch' | 'validate-prs' | 'deploy' | 'import-check' | 'report';

/**
 * One reconcile: fetch → validate PRs → plan and apply the default branch (when it moved
 * or a drift check is due) → MWAA import check → GitHub deploy report. Each step is
 * retried with backoff; a step that still fails is logged and counted, later independent
 * steps still run, and nothing is thrown (the process must outlive any failure).
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
    const step = async <T>(name: StepName, run: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await withRetry(run, this.settings.retry, this.clock, signal, (err, attempt, delayMs) =>
          log.warn({ step: name, attempt, delayMs, err: describe(err) }, `${name} failed; retrying`),
        );
      } catch (err) {
        if (signal.aborted) throw err;
        failed = true;
        this.metrics.stepFailures.inc({ step: name });
        log.error({ step: name, err: describe(err) }, `${name} failed`);
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
      result = failed ? 'failure' : 'success';
    } catch (err) {
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
    step: <T>(name: StepName, run: () => Promise<T>) => Promise<T | undefined>,
    partial: (name: StepName, message: string) => void,
  ) {
    const { ports, status, settings } = this;
    const head = await step('fetch', () => ports.repo.fetchHead(ctx));
    status.repoReachable = head !== undefined;
    if (head === undefined) return;

    const prs = ports.pullRequests;
    if (prs) await step('validate-prs', () => prs.validateOpenPullRequests(ctx));

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
    const result = await step('deploy', async () => {
      try {
        return await ports.deployer.deploy(
          { commit: head, checkDrift: driftDue, drift: settings.drift, dryRun },
          ctx,
        );
      } catch (err) {
        deployError = err;
        throw err;
      }
    });
    if (!result) {
      await this.reportFailure(head, deployError, ctx, step);
      return;
    }
    if (driftDue) status.lastDriftCheckAt = now;
    this.record(result, dryRun, ctx);
    // Only a complete apply settles the commit; otherwise the next reconcile re-plans and
    // retries what is left (conflicting or failed files), even if the branch does not move.
    if (dryRun || result.report.ok) status.lastDeployedCommit = head;
    else
      partial(
        'deploy',
        `some changes of ${head.slice(0, 7)} were not applied; retrying at the next reconcile`,
      );
    status.lastReportedFailure = null;
    if (dryRun || !result.applied) return;

    let report = result.report;
    const importCheck = ports.importCheck;
    if (importCheck) {
      const verified = await step('import-check', () => importCheck.verify(report, ctx));
      if (verified) {
        report = verified;
        this.metrics.importErrors.set(verified.dags.filter((d) => d.imported === false).length);
      }
    }
    const reporter = ports.deployReporter;
    if (reporter) await step('report', () => reporter.report(report, ctx));
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
    ctx: StepContext,
    step: <T>(name: StepName, run: () => Promise<T>) => Promise<T | undefined>,
  ): Promise<void> {
    const reporter = this.ports.deployReporter;
    const message = describe(err).message;
    const key = `${commit}:${message}`;
    if (!reporter || this.settings.suspend || this.status.lastReportedFailure === key) return;
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
    const sent = await step('report', async () => {
      await reporter.report(report, ctx);
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
