import { describe, expect, it } from 'vitest';
import { FakeDeployer, FakeRepo, ManualClock, memoryLogger } from '../../test/support/controller-fakes.js';
import type { DeployReport } from '../mwaa/deploy-report.js';
import { ControllerMetrics } from './metrics.js';
import type { StepContext } from './ports.js';
import { Reconciler } from './reconciler.js';
import type { ResultsPort } from './results-port.js';
import { initialStatus } from './status.js';

class FakeResults implements ResultsPort {
  tracked: DeployReport[] = [];
  polls = 0;
  failPoll = false;
  async track(report: DeployReport, _ctx: StepContext) {
    this.tracked.push(report);
  }
  async poll() {
    this.polls++;
    if (this.failPoll) throw new Error('MWAA CLI endpoint answered HTTP 503');
    return { followed: 1, active: 1 };
  }
}

function setup(suspend = false) {
  const repo = new FakeRepo();
  const deployer = new FakeDeployer();
  const results = new FakeResults();
  const reconciler = new Reconciler(
    { repo, deployer, results },
    {
      suspend,
      drift: 'off',
      driftCheckIntervalMs: 600_000,
      retry: { attempts: 1, initialDelayMs: 10, maxDelayMs: 10 },
      target: 'memory://dags',
    },
    initialStatus(),
    new ControllerMetrics(),
    new ManualClock(1_700_000_000_000, true),
    memoryLogger().log,
  );
  return { repo, deployer, results, run: () => reconciler.reconcile(['test'], new AbortController().signal) };
}

describe('Reconciler with results following', () => {
  it('tracks what a deploy applied, and polls on every reconcile, moved branch or not', async () => {
    const h = setup();
    await h.run();
    expect(h.results.tracked.map((r) => r.commit)).toEqual(['c1']);
    expect(h.results.polls).toBe(1);
    await h.run(); // branch unchanged: no deploy, but the runs are followed
    expect(h.results.tracked).toHaveLength(1);
    expect(h.results.polls).toBe(2);
  });

  it('a failing poll fails the reconcile but not the deploy', async () => {
    const h = setup();
    h.results.failPoll = true;
    expect(await h.run()).toBe('failure');
    expect(h.deployer.requests).toHaveLength(1);
    expect(h.results.tracked).toHaveLength(1);
  });

  it('follows nothing while suspended', async () => {
    const h = setup(true);
    await h.run();
    expect([h.results.tracked.length, h.results.polls]).toEqual([0, 0]);
  });
});
