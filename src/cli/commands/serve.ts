import { parseEnv } from '../../shared/env.js';
import { UsageError } from '../../shared/errors.js';
import { ExitCode } from '../exit-codes.js';
import type { RegisterCommand } from './index.js';

/**
 * `backtestctl serve`: the long-running controller. Reads the controller config and the
 * environment once, then reconciles on a schedule and on webhooks until SIGTERM/SIGINT.
 */
export const registerServe: RegisterCommand = (program, io, state) => {
  program
    .command('serve')
    .description(
      'run the controller: reconcile the config repo into the target on a schedule and on GitHub webhooks; ' +
        'serves /healthz, /readyz, /metrics and POST /webhook',
    )
    .option('--config <file>', 'controller config file (else $BACKTEST_GITOPS_CONFIG)')
    .option('--once', 'run one reconcile, then exit (exit code 1 if it failed)')
    .action(async (opts: { config?: string; once?: boolean }) => {
      const env = parseEnv(io.env);
      const path = opts.config ?? env.controllerConfigPath;
      if (!path)
        throw new UsageError(
          'no controller config given',
          'pass --config controller.yaml (see deploy/controller.example.yaml)',
        );
      // Loaded here, not at start-up: the controller pulls in the AWS, GitHub and metrics
      // clients, which `--version`, `validate` and the other offline commands never need.
      const [{ composePorts }, { loadControllerConfig }, { runController }, { createLogger }] =
        await Promise.all([
          import('../../controller/compose.js'),
          import('../../controller/load-controller-config.js'),
          import('../../controller/run-controller.js'),
          import('../../shared/logger.js'),
        ]);
      const config = loadControllerConfig(path, env, io.cwd);
      // A long-running process: keep the heap small between reconciles (serve-memory.ts).
      // Set once the config is valid, before the controller allocates anything.
      const { favourSmallHeap } = await import('../serve-memory.js');
      favourSmallHeap();
      // A live set: installation tokens fetched later are added and censored too.
      const secrets = new Set(config.secrets);
      const log = createLogger({ level: config.log.level, secrets, base: { app: 'backtest-gitops' } });
      const ports = composePorts({ config, env, cwd: io.cwd, log, secrets });
      // --once: the start-up reconcile only, no schedule.
      const running = await runController({
        config,
        ports,
        log,
        ...(opts.once ? { scheduler: { start() {}, stop() {} } } : {}),
      });
      if (opts.once) {
        await running.controller.idle();
        await running.stop();
        const values = (await running.metrics.reconciles.get()).values;
        const ok = values.find((v) => v.labels.result === 'success')?.value === 1;
        state.exitCode = ok ? ExitCode.ok : ExitCode.invalid;
        setTimeout(() => process.exit(state.exitCode), 2000).unref();
        return;
      }
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      });
      log.info({ signal }, 'shutdown requested');
      const outcome = await running.stop();
      state.exitCode = outcome === 'timed-out' ? ExitCode.error : ExitCode.ok;
      // Everything is closed; if a stray handle (a git child) would keep the process up,
      // exit anyway rather than outlive the pod's grace period. unref: never delays a clean exit.
      setTimeout(() => process.exit(state.exitCode), 2000).unref();
    });
};
