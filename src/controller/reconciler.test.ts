import { describe, expect, it } from 'vitest';
import {
  emptyReport,
  FakeDeployer,
  FakeDeployReporter,
  FakeImportCheck,
  FakePullRequests,
  FakeRepo,
  ManualClock,
  memoryLogger,
} from '../../test/support/controller-fakes.js';
import { SafetyError } from '../shared/errors.js';
import { ControllerMetrics } from './metrics.js';
import { Reconciler } from './reconciler.js';
import { initialStatus } from './status.js';

function setup(opts: { suspend?: boolean; drift?: 'report' | 'repair' | 'off'; attempts?: number } = {}) {
  const clock = new ManualClock(1_700_000_000_000, true);
  const repo = new FakeRepo();
  const deployer = new FakeDeployer();
  const pullRequests = new FakePullRequests();
  const importCheck = new FakeImportCheck();
  const deployReporter = new FakeDeployReporter();
  const status = initialStatus();
  const metrics = new ControllerMetrics();
  const { log, lines } = memoryLogger();
  const reconciler = new Reconciler(
    { repo, deployer, pullRequests, importCheck, deployReporter },
    {
      suspend: opts.suspend ?? false,
      drift: opts.drift ?? 'report',
      driftCheckIntervalMs: 600_000,
      retry: { attempts: opts.attempts ?? 3, initialDelayMs: 1000, maxDelayMs: 30_000 },
      target: 'memory://dags',
    },
    status,
    metrics,
    clock,
    log,
  );
  const signal = new AbortController().signal;
  const run = () => reconciler.reconcile(['test'], signal);
  return { clock, repo, deployer, pullRequests, importCheck, deployReporter, status, metrics, lines, run };
}

async function metric(metrics: ControllerMetrics, name: string, labels: Record<string, string> = {}) {
  const m = (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  const hit = m.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return hit?.value;
}

describe('Reconciler', () => {
  it('runs every step in order on a new commit and records metrics', async () => {
    const h = setup();
    expect(await h.run()).toBe('success');
    expect(h.pullRequests.calls).toBe(1);
    expect(h.deployer.requests).toMatchObject([{ commit: 'c1', checkDrift: true, dryRun: false }]);
    expect(h.importCheck.calls).toBe(1);
    expect(h.deployReporter.reports).toHaveLength(1);
    expect(h.status.lastDeployedCommit).toBe('c1');
    expect(await metric(h.metrics, 'backtest_gitops_reconciles_total', { result: 'success' })).toBe(1);
    expect(await metric(h.metrics, 'backtest_gitops_apply_operations_total', { op: 'create' })).toBe(2);
    expect(await metric(h.metrics, 'backtest_gitops_dags_managed')).toBe(3);
    expect(await metric(h.metrics, 'backtest_gitops_import_errors')).toBe(0);
    expect(await metric(h.metrics, 'backtest_gitops_last_successful_reconcile_timestamp_seconds')).toBe(
      h.clock.now() / 1000,
    );
  });

  it('deploys the default branch before it talks to GitHub about open PRs', async () => {
    const h = setup();
    const order: string[] = [];
    const deploy = h.deployer.deploy.bind(h.deployer);
    h.deployer.deploy = async (r, c) => {
      order.push('deploy');
      return deploy(r, c);
    };
    const validate = h.pullRequests.validateOpenPullRequests.bind(h.pullRequests);
    h.pullRequests.validateOpenPullRequests = async () => {
      order.push('validate-prs');
      return validate();
    };
    h.pullRequests.failures = 99; // GitHub down
    expect(await h.run()).toBe('failure');
    expect(order).toEqual(['deploy', 'validate-prs']);
    expect(h.status.lastDeployedCommit).toBe('c1');
    expect(h.pullRequests.calls).toBe(1); // not retried: Octokit retries its own calls
  });

  it('counts a failed import check as a failed reconcile, and reports it', async () => {
    const h = setup();
    h.importCheck.importErrors = 1;
    expect(await h.run()).toBe('failure');
    expect(await metric(h.metrics, 'backtest_gitops_import_errors')).toBe(1);
    expect(await metric(h.metrics, 'backtest_gitops_step_failures_total', { step: 'import-check' })).toBe(1);
    expect(h.deployReporter.reports.map((r) => r.ok)).toEqual([false]);
  });

  it('reports a default branch that is not fully live even when nothing changed, and keeps trying', async () => {
    const h = setup();
    h.deployer.result = {
      applied: false,
      report: { ...emptyReport('c1'), ok: false, kept_invalid: ['b.yaml'] },
    };
    expect(await h.run()).toBe('failure');
    expect(h.deployReporter.reports.map((r) => [r.commit, r.ok])).toEqual([['c1', false]]);
    expect(await metric(h.metrics, 'backtest_gitops_reconciles_total', { result: 'failure' })).toBe(1);
    expect(h.status.lastDeployedCommit).toBeNull();
    await h.run();
    expect(h.deployer.requests).toHaveLength(2);
  });

  it('skips the deploy when the branch did not move and no drift check is due', async () => {
    const h = setup();
    await h.run();
    await h.run();
    expect(h.deployer.requests).toHaveLength(1);
    expect(h.pullRequests.calls).toBe(2);
    h.repo.head = 'c2';
    await h.run();
    expect(h.deployer.requests.map((r) => [r.commit, r.checkDrift])).toEqual([
      ['c1', true],
      ['c2', false],
    ]);
  });

  it('runs a drift check when it is due even if the branch did not move', async () => {
    const h = setup({ drift: 'repair' });
    h.deployer.result = { driftDetected: 2, applied: true };
    await h.run();
    await h.clock.advance(600_000);
    await h.run();
    expect(h.deployer.requests.map((r) => [r.commit, r.checkDrift, r.drift])).toEqual([
      ['c1', true, 'repair'],
      ['c1', true, 'repair'],
    ]);
    expect(await metric(h.metrics, 'backtest_gitops_drift_detected_total')).toBe(4);
  });

  it('retries the fetch with exponential backoff; the deploy retries inside apply, not twice', async () => {
    const h = setup({ attempts: 4 });
    h.repo.failures = 3;
    expect(await h.run()).toBe('success');
    expect(h.clock.sleeps).toEqual([1000, 2000, 4000]);
    expect(h.lines.filter((l) => l.includes('fetch failed; retrying'))).toHaveLength(3);
    const g = setup({ attempts: 4 });
    g.deployer.failures = 1;
    expect(await g.run()).toBe('failure');
    expect(g.deployer.requests).toHaveLength(1);
    expect(await g.run()).toBe('success'); // the next poll retries
  });

  it('reports a step that keeps failing, continues, and never throws', async () => {
    const h = setup();
    h.pullRequests.failures = 99;
    expect(await h.run()).toBe('failure');
    expect(h.deployer.requests).toHaveLength(1); // the deploy still ran
    expect(await metric(h.metrics, 'backtest_gitops_step_failures_total', { step: 'validate-prs' })).toBe(1);
    expect(await metric(h.metrics, 'backtest_gitops_reconciles_total', { result: 'failure' })).toBe(1);
    expect(await metric(h.metrics, 'backtest_gitops_last_successful_reconcile_timestamp_seconds')).toBe(0);
  });

  it('stops after a failed fetch and marks the repo unreachable', async () => {
    const h = setup();
    h.repo.failures = 99;
    expect(await h.run()).toBe('failure');
    expect(h.repo.fetches).toBe(3);
    expect(h.status.repoReachable).toBe(false);
    expect(h.pullRequests.calls).toBe(0);
    expect(h.deployer.requests).toHaveLength(0);
  });

  it('reports a failed deploy on GitHub once per distinct failure and retries the deploy next time', async () => {
    const h = setup({ attempts: 1 });
    h.deployer.failures = 2;
    await h.run();
    await h.run();
    expect(h.deployer.requests).toHaveLength(2);
    expect(h.deployReporter.reports).toHaveLength(1);
    expect(h.deployReporter.reports[0]).toMatchObject({
      ok: false,
      commit: 'c1',
      summary: 'deploy failed: S3 said 500',
    });
    await h.run();
    expect(h.deployReporter.reports.map((r) => r.ok)).toEqual([false, true]);
  });

  it('retries an incomplete apply at the next reconcile even if the branch did not move', async () => {
    const h = setup();
    h.deployer.result = { report: { ...emptyReport('c1'), ok: false, summary: '1 not applied' } };
    expect(await h.run()).toBe('failure');
    expect(h.status.lastDeployedCommit).toBeNull();
    expect(h.deployReporter.reports.map((r) => r.ok)).toEqual([false]);
    h.deployer.result = {};
    expect(await h.run()).toBe('success');
    expect(h.deployer.requests.map((r) => r.commit)).toEqual(['c1', 'c1']);
    expect(h.status.lastDeployedCommit).toBe('c1');
    expect(await metric(h.metrics, 'backtest_gitops_step_failures_total', { step: 'deploy' })).toBe(1);
  });

  it('does not retry a plan refused by a safety rule', async () => {
    const h = setup({ attempts: 5 });
    h.deployer.failures = 1;
    h.deployer.failWith = () => new SafetyError('would delete 9 of 10 DAGs', 'mass-delete');
    expect(await h.run()).toBe('failure');
    expect(h.deployer.requests).toHaveLength(1);
  });

  it('when suspended plans with dryRun, still validates PRs, and applies/reports nothing', async () => {
    const h = setup({ suspend: true });
    expect(await h.run()).toBe('success');
    expect(h.deployer.requests).toMatchObject([{ dryRun: true }]);
    expect(h.pullRequests.calls).toBe(1);
    expect(h.importCheck.calls).toBe(0);
    expect(h.deployReporter.reports).toHaveLength(0);
    expect(await metric(h.metrics, 'backtest_gitops_apply_operations_total', { op: 'create' })).toBe(0);
  });

  it('puts the reconcile id on every line of one reconcile', async () => {
    const h = setup();
    await h.run();
    await h.run();
    const ids = h.lines.map((l) => JSON.parse(l).reconcile as string);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(2);
  });

  it('counts an aborted reconcile as aborted', async () => {
    const h = setup();
    const ac = new AbortController();
    h.deployer.hold = new Promise(() => {});
    const clockless = new Reconciler(
      { repo: h.repo, deployer: h.deployer },
      {
        suspend: false,
        drift: 'off',
        driftCheckIntervalMs: 0,
        retry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 1 },
        target: 't',
      },
      h.status,
      h.metrics,
      h.clock,
      memoryLogger().log,
    );
    const result = clockless.reconcile(['x'], ac.signal);
    await new Promise((r) => setImmediate(r));
    ac.abort(new Error('SIGTERM'));
    expect(await result).toBe('aborted');
    expect(h.deployer.requests).toHaveLength(1);
    expect(await metric(h.metrics, 'backtest_gitops_reconciles_total', { result: 'aborted' })).toBe(1);
  });
});
