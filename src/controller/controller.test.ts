import { describe, expect, it } from 'vitest';
import {
  FakeDeployer,
  FakeRepo,
  flush,
  gate,
  ManualClock,
  ManualScheduler,
  memoryLogger,
} from '../../test/support/controller-fakes.js';
import { Controller } from './controller.js';
import { ControllerMetrics } from './metrics.js';
import { Reconciler } from './reconciler.js';
import { initialStatus } from './status.js';

function setup(graceMs = 10_000) {
  const clock = new ManualClock();
  const scheduler = new ManualScheduler();
  const repo = new FakeRepo();
  const deployer = new FakeDeployer();
  const { log, lines } = memoryLogger();
  const metrics = new ControllerMetrics();
  const reconciler = new Reconciler(
    { repo, deployer },
    {
      suspend: false,
      drift: 'off',
      driftCheckIntervalMs: 0,
      retry: { attempts: 1, initialDelayMs: 0, maxDelayMs: 0 },
      target: 't',
    },
    initialStatus(),
    metrics,
    clock,
    log,
  );
  const controller = new Controller(reconciler, scheduler, clock, log, graceMs);
  return { clock, scheduler, repo, deployer, controller, lines, metrics };
}

describe('Controller', () => {
  it('reconciles at start and on each schedule tick', async () => {
    const h = setup();
    h.controller.start();
    await h.controller.idle();
    expect(h.deployer.requests).toHaveLength(1);
    h.repo.head = 'c2';
    h.scheduler.tick();
    await h.controller.idle();
    expect(h.deployer.requests.map((r) => r.commit)).toEqual(['c1', 'c2']);
  });

  it('coalesces triggers during a run into exactly one follow-up, never overlapping', async () => {
    const h = setup();
    const hold = gate();
    h.deployer.hold = hold.promise;
    h.controller.start();
    await flush();
    expect(h.deployer.running).toBe(1);
    // Many triggers while the first reconcile is in flight.
    h.repo.head = 'c2';
    for (let i = 0; i < 5; i++) h.controller.trigger(`webhook:${i}`);
    h.scheduler.tick();
    hold.open();
    await h.controller.idle();
    expect(h.deployer.requests.map((r) => r.commit)).toEqual(['c1', 'c2']);
    expect(h.deployer.maxConcurrent).toBe(1);
    const followUp = h.lines
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'reconcile started' && l.reasons.length > 1);
    expect(followUp.reasons).toEqual([
      'webhook:0',
      'webhook:1',
      'webhook:2',
      'webhook:3',
      'webhook:4',
      'schedule',
    ]);
  });

  it('a trigger after a run finished starts a new run', async () => {
    const h = setup();
    h.controller.start();
    await h.controller.idle();
    h.repo.head = 'c2';
    expect(h.controller.trigger('webhook')).toBe(true);
    await h.controller.idle();
    expect(h.deployer.requests).toHaveLength(2);
  });

  it('stop() while idle stops the schedule and refuses triggers', async () => {
    const h = setup();
    h.controller.start();
    await h.controller.idle();
    expect(await h.controller.stop()).toBe('idle');
    expect(h.scheduler.started).toBe(false);
    expect(h.controller.trigger('webhook')).toBe(false);
  });

  it('stop() lets the current reconcile finish within the grace period', async () => {
    const h = setup(10_000);
    const hold = gate();
    h.deployer.hold = hold.promise;
    h.controller.start();
    await flush();
    h.controller.trigger('webhook'); // pending follow-up is dropped by stop
    const stopped = h.controller.stop();
    await h.clock.advance(1000);
    hold.open();
    expect(await stopped).toBe('finished');
    expect(h.deployer.requests).toHaveLength(1);
  });

  it('stop() aborts the current step once most of the grace period is gone', async () => {
    const h = setup(10_000);
    h.deployer.hold = new Promise(() => {}); // a step that would never finish by itself
    h.controller.start();
    await flush();
    const stopped = h.controller.stop();
    await h.clock.advance(7_000);
    expect(await stopped).toBe('abandoned');
    const values = (await h.metrics.reconciles.get()).values;
    expect(values.find((v) => v.labels.result === 'aborted')?.value).toBe(1);
  });
});
