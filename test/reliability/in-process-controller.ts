import { join } from 'node:path';
import { composePorts } from '../../src/controller/compose.js';
import { parseControllerConfig } from '../../src/controller/load-controller-config.js';
import type { ControllerMetrics, ReconcileResult } from '../../src/controller/metrics.js';
import { type RunningController, runController } from '../../src/controller/run-controller.js';
import { parseEnv } from '../../src/shared/env.js';
import { createLogger } from '../../src/shared/logger.js';
import { ManualScheduler } from '../support/controller-fakes.js';

export interface InProcessController {
  /** One reconcile, exactly as the schedule would run it. */
  reconcile(): Promise<ReconcileResult>;
  metrics: ControllerMetrics;
  stop(): Promise<void>;
}

/**
 * The production controller — `composePorts` and `runController`, as `backtestctl serve`
 * builds them, with the retry policy of its config — driven one reconcile at a time: only
 * the schedule is replaced (by a manual one), so a test can run hundreds of reconciles
 * without waiting for cron. Endpoints and credentials come through `env`, as in the pod.
 */
export async function inProcessController(opts: {
  dir: string;
  yaml: string;
  env: Record<string, string>;
  logLevel?: string;
}): Promise<InProcessController> {
  const env = parseEnv({ ...process.env, ...opts.env });
  // Faults are injected, not real outages: retry fast (the config keys production reads).
  const yaml = [
    opts.yaml,
    /^retry:/m.test(opts.yaml)
      ? ''
      : 'retry: { attempts: 4, initial_delay_seconds: 0.02, max_delay_seconds: 0.2 }',
    /^http:/m.test(opts.yaml) ? '' : 'http: { port: 0, host: 127.0.0.1 }',
  ].join('\n');
  const config = parseControllerConfig(yaml, { file: join(opts.dir, 'controller.yaml'), env });
  const secrets = new Set(config.secrets);
  const log = createLogger({ level: opts.logLevel ?? 'silent', secrets });
  // The local GitHub server has no secondary limits to avoid: writes are not spaced 1 s / 3 s
  // apart as against github.com (the injected 5xx and 403s are still retried, honouring
  // retry-after).
  const ports = composePorts({
    config,
    env,
    cwd: opts.dir,
    log,
    secrets,
    githubPacing: { spaceWrites: false },
  });
  const scheduler = new ManualScheduler();
  const running: RunningController = await runController({ config, ports, log, scheduler });
  await running.controller.idle(); // the start-up reconcile
  const counts = async () =>
    new Map((await running.metrics.reconciles.get()).values.map((v) => [v.labels.result, v.value]));
  return {
    metrics: running.metrics,
    async reconcile() {
      const before = await counts();
      running.controller.trigger('test');
      await running.controller.idle();
      const after = await counts();
      const results = (['success', 'failure', 'aborted'] as const).filter(
        (r) => (after.get(r) ?? 0) > (before.get(r) ?? 0),
      );
      if (results.length !== 1) throw new Error(`expected one reconcile, saw ${JSON.stringify([...after])}`);
      return results[0] as ReconcileResult;
    },
    async stop() {
      await running.stop();
    },
  };
}
