import type { Server } from 'node:http';
import { createWebhookHandler } from '../github/index.js';
import type { Logger } from '../shared/logger.js';
import { VERSION } from '../shared/version.js';
import { systemClock } from './clock.js';
import { Controller, type StopOutcome } from './controller.js';
import { CronScheduler, cronIntervalMs } from './cron-scheduler.js';
import { createControllerServer, listen } from './http-server.js';
import type { ControllerConfig } from './load-controller-config.js';
import { ControllerMetrics } from './metrics.js';
import type { Clock, ControllerPorts, Scheduler } from './ports.js';
import { Reconciler } from './reconciler.js';
import { initialStatus, readiness } from './status.js';

export interface RunControllerOptions {
  config: ControllerConfig;
  ports: ControllerPorts;
  log: Logger;
  clock?: Clock;
  scheduler?: Scheduler;
}

export interface RunningController {
  controller: Controller;
  metrics: ControllerMetrics;
  server: Server;
  /** The bound HTTP port (config port 0 = any free port). */
  port: number;
  /** Stops the schedule, finishes or abandons the current reconcile, closes the server. */
  stop(): Promise<StopOutcome>;
}

/** Wires the loop, metrics and HTTP endpoints together and starts them. */
export async function runController(opts: RunControllerOptions): Promise<RunningController> {
  const { config, ports, log } = opts;
  const clock = opts.clock ?? systemClock;
  const intervalMs = cronIntervalMs(config.schedule);
  const status = initialStatus();
  const metrics = new ControllerMetrics({
    processMetrics: true,
    ...(ports.rateLimit ? { rateLimitRemaining: () => ports.rateLimit?.remaining() ?? null } : {}),
  });
  const reconciler = new Reconciler(
    ports,
    {
      suspend: config.suspend,
      drift: config.drift,
      driftCheckIntervalMs: config.drift_check_interval_seconds * 1000,
      retry: {
        attempts: config.retry.attempts,
        initialDelayMs: config.retry.initial_delay_seconds * 1000,
        maxDelayMs: config.retry.max_delay_seconds * 1000,
      },
      target: config.target,
    },
    status,
    metrics,
    clock,
    log,
  );
  const scheduler = opts.scheduler ?? new CronScheduler(config.schedule);
  const controller = new Controller(reconciler, scheduler, clock, log, config.shutdown_grace_seconds * 1000);
  const webhook = config.webhookSecret
    ? createWebhookHandler({
        secret: config.webhookSecret,
        onEvent: (t) => {
          log.info(
            { event: t.event, delivery: t.deliveryId, action: t.action, pr: t.pullNumber, ref: t.ref },
            'webhook received',
          );
          controller.trigger(`webhook:${t.event}:${t.deliveryId}`);
        },
        onBadSignature: () => log.warn('webhook delivery with a bad signature rejected'),
        onDuplicate: (delivery) => log.info({ delivery }, 'webhook delivery already seen; ignored'),
      })
    : undefined;
  const server = createControllerServer(
    {
      metrics: () => metrics.render(),
      readiness: () => readiness(status, clock.now(), intervalMs),
      ...(webhook ? { webhook } : {}),
    },
    log,
  );
  const port = await listen(server, config.http.port, config.http.host);
  log.info(
    {
      version: VERSION,
      port,
      schedule: config.schedule,
      target: config.target,
      repo: config.repo.url,
      branch: config.repo.branch,
      suspend: config.suspend,
      webhook: Boolean(webhook),
      github: Boolean(config.github),
    },
    'controller started',
  );
  controller.start();
  return {
    controller,
    metrics,
    server,
    port,
    async stop() {
      const outcome = await controller.stop();
      // A restarted replica then acts at once instead of waiting for the lease to expire.
      await ports.leader
        ?.release?.()
        // catch-all: best effort on the way out; an unreleased lease only expires later (logged).
        .catch((err: unknown) => log.warn({ err: String(err) }, 'lease not released'));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      log.info({ outcome }, 'controller stopped');
      return outcome;
    },
  };
}
