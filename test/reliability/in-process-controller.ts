import { join } from 'node:path';
import { systemClock } from '../../src/controller/clock.js';
import { composePorts } from '../../src/controller/compose.js';
import { parseControllerConfig } from '../../src/controller/load-controller-config.js';
import { ControllerMetrics, type ReconcileResult } from '../../src/controller/metrics.js';
import { Reconciler } from '../../src/controller/reconciler.js';
import { initialStatus } from '../../src/controller/status.js';
import { parseEnv } from '../../src/shared/env.js';
import { createLogger } from '../../src/shared/logger.js';

export interface InProcessController {
  /** One reconcile, exactly as the schedule would run it. */
  reconcile(): Promise<ReconcileResult>;
  metrics: ControllerMetrics;
}

/**
 * The real controller (composition root, adapters, reconciler) driven one reconcile at a
 * time, so a test can run hundreds of reconciles without waiting for a schedule.
 */
export function inProcessController(opts: {
  dir: string;
  yaml: string;
  env: Record<string, string>;
  logLevel?: string;
}): InProcessController {
  // Credentials, region and endpoints reach the adapters through parseEnv, as in `serve`.
  const env = parseEnv({ ...process.env, ...opts.env });
  const config = parseControllerConfig(opts.yaml, { file: join(opts.dir, 'controller.yaml'), env });
  const secrets = new Set(config.secrets);
  const log = createLogger({ level: opts.logLevel ?? 'silent', secrets });
  const ports = composePorts({ config, env, cwd: opts.dir, log, secrets });
  const metrics = new ControllerMetrics();
  const reconciler = new Reconciler(
    ports,
    {
      suspend: false,
      drift: config.drift,
      driftCheckIntervalMs: config.drift_check_interval_seconds * 1000,
      // Fast retries: the faults are injected, not real outages.
      retry: { attempts: 4, initialDelayMs: 20, maxDelayMs: 200 },
      target: config.target,
    },
    initialStatus(),
    metrics,
    systemClock,
    log,
  );
  return {
    metrics,
    reconcile: () => reconciler.reconcile(['test'], new AbortController().signal),
  };
}
