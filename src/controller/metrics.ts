import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type ReconcileResult = 'success' | 'failure' | 'aborted';
export type ApplyOp = 'create' | 'update' | 'delete' | 'repair';

/**
 * The controller's Prometheus metrics, on a Registry of its own (never prom-client's global
 * one), so several controllers in one process (tests) do not share counters.
 */
export class ControllerMetrics {
  readonly registry = new Registry();
  readonly reconciles: Counter<'result'>;
  readonly reconcileDuration: Histogram;
  readonly dagsManaged: Gauge;
  readonly driftDetected: Counter;
  readonly applyOperations: Counter<'op'>;
  readonly githubRateLimitRemaining: Gauge;
  readonly lastSuccessfulReconcile: Gauge;
  readonly importErrors: Gauge;
  readonly stepFailures: Counter<'step'>;
  readonly leader: Gauge;

  constructor(options: { rateLimitRemaining?: () => number | null; processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.reconciles = new Counter({
      name: 'backtest_gitops_reconciles_total',
      help: 'Reconcile runs by result (success, failure, aborted).',
      labelNames: ['result'],
      registers,
    });
    for (const result of ['success', 'failure', 'aborted']) this.reconciles.inc({ result }, 0);
    this.reconcileDuration = new Histogram({
      name: 'backtest_gitops_reconcile_duration_seconds',
      help: 'Duration of one reconcile run (fetch, PR validation, apply, import check, reports).',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.dagsManaged = new Gauge({
      name: 'backtest_gitops_dags_managed',
      help: 'DAGs the controller owns in the target (from the manifest after the last apply).',
      registers,
    });
    this.driftDetected = new Counter({
      name: 'backtest_gitops_drift_detected_total',
      help: 'Owned files found changed or removed behind the controller.',
      registers,
    });
    this.applyOperations = new Counter({
      name: 'backtest_gitops_apply_operations_total',
      help: 'Files written or deleted by applies, by operation.',
      labelNames: ['op'],
      registers,
    });
    for (const op of ['create', 'update', 'delete', 'repair']) this.applyOperations.inc({ op }, 0);
    const rateLimit = options.rateLimitRemaining;
    this.githubRateLimitRemaining = new Gauge({
      name: 'backtest_gitops_github_rate_limit_remaining',
      help: 'GitHub API requests left in the current rate-limit window (-1 before the first call).',
      registers,
      collect() {
        const value = rateLimit?.();
        this.set(value ?? -1);
      },
    });
    this.lastSuccessfulReconcile = new Gauge({
      name: 'backtest_gitops_last_successful_reconcile_timestamp_seconds',
      help: 'Unix time of the last reconcile that finished without a failed step.',
      registers,
    });
    this.importErrors = new Gauge({
      name: 'backtest_gitops_import_errors',
      help: 'DAGs of the last deploy that Airflow reported with an import error or never listed.',
      registers,
    });
    this.stepFailures = new Counter({
      name: 'backtest_gitops_step_failures_total',
      help: 'Reconcile steps that failed after their retries, by step.',
      labelNames: ['step'],
      registers,
    });
    this.leader = new Gauge({
      name: 'backtest_gitops_leader',
      help: '1 while this replica holds the lease and acts, 0 on standby (only with a leader lease).',
      registers,
    });
    if (options.processMetrics)
      collectDefaultMetrics({ register: this.registry, prefix: 'backtest_gitops_' });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
