import { type Command, Option } from 'commander';
import { effectiveVariables, loadConfigRepo, SETTINGS_FILE } from '../../config/index.js';
import type { MwaaDagStore } from '../../mwaa/mwaa-target.js';
import { parseEnv } from '../../shared/env.js';
import { UsageError } from '../../shared/errors.js';
import { ExitCode } from '../exit-codes.js';
import { printIssues } from '../format-issues.js';
import type { CliIo } from '../io.js';
import { assertKnownEnvironment, REPO_OPTION_HELP, readRepoFiles, resolveRepoDir } from '../repo-paths.js';
import type { RegisterCommand } from './index.js';

interface MwaaOptions {
  environment: string;
  s3Endpoint?: string;
  format: 'text' | 'json';
}

interface VariablesSyncOptions {
  environment: string;
  repo?: string;
  configEnvironment?: string;
  dryRun?: boolean;
}

/** `backtestctl mwaa status` and `backtestctl mwaa variables sync`. */
export const registerMwaa: RegisterCommand = (program: Command, io: CliIo, state) => {
  const mwaa = program
    .command('mwaa')
    .description('look at and prepare an AWS MWAA environment (region from AWS_REGION)');

  mwaa
    .command('status')
    .description('the environment, its Airflow version, and whether Airflow imported each DAG we deployed')
    .requiredOption('--environment <name>', 'MWAA environment name')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint (else AWS_ENDPOINT_URL_S3)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      '\nExit codes: 0 all our DAGs imported (or nothing to ask), 1 import errors or missing DAGs, 2 error.',
    )
    .action(async (opts: MwaaOptions) => {
      const store = await openEnvironment(opts, io);
      const { collectEnvironmentStatus, formatEnvironmentStatus } = await import(
        '../../mwaa/environment-status.js'
      );
      const manifest = (await store.readManifest())?.manifest ?? null;
      const status = await collectEnvironmentStatus(store.environment, manifest, store.connection.airflow);
      io.stdout(
        opts.format === 'json' ? `${JSON.stringify(status, null, 2)}\n` : formatEnvironmentStatus(status),
      );
      state.exitCode = status.dags?.some((d) => d.state !== 'imported') ? ExitCode.invalid : ExitCode.ok;
    });

  mwaa
    .command('variables')
    .description('Airflow Variables the rendered DAGs read at run time')
    .command('sync')
    .description(`set batch_job_queue, batch_job_definition, trading_strategies_bucket from ${SETTINGS_FILE}`)
    .requiredOption('--environment <name>', 'MWAA environment name')
    .option('--repo <dir>', REPO_OPTION_HELP)
    .option(
      '--config-environment <name>',
      `environment in ${SETTINGS_FILE} whose variables override the defaults`,
    )
    .option('--dry-run', 'show what would change, change nothing')
    .action(async (opts: VariablesSyncOptions) => {
      const repoDir = await resolveRepoDir(io.cwd, opts.repo);
      const files = await readRepoFiles(repoDir);
      const config = loadConfigRepo(
        files,
        opts.configEnvironment ? { environment: opts.configEnvironment } : {},
      );
      assertKnownEnvironment(config);
      const settingsErrors = config.issues.filter((i) => i.file === SETTINGS_FILE && i.severity === 'error');
      if (settingsErrors.length > 0) {
        printIssues(io, settingsErrors, files, { stream: 'stderr', repoDir });
        io.stderr(`${SETTINGS_FILE} is invalid; no variable was changed.\n`);
        state.exitCode = ExitCode.invalid;
        return;
      }
      const desired = effectiveVariables(config.settings, opts.configEnvironment);
      const store = await openEnvironment({ environment: opts.environment }, io);
      const { formatVariableChanges, syncVariables } = await import('../../mwaa/variables-sync.js');
      if (store.environment.status !== 'AVAILABLE') {
        throw new UsageError(
          `MWAA environment '${opts.environment}' is ${store.environment.status}; variables can only be set while it is AVAILABLE`,
          'run the command again once the update has finished',
        );
      }
      const changes = await syncVariables(store.connection.airflow, desired, {
        dryRun: opts.dryRun ?? false,
      });
      io.stdout(formatVariableChanges(changes, opts.environment, opts.dryRun ?? false));
      state.exitCode = ExitCode.ok;
    });
};

async function openEnvironment(
  opts: Pick<MwaaOptions, 'environment' | 's3Endpoint'>,
  io: CliIo,
): Promise<MwaaDagStore> {
  // The MWAA and S3 clients load only for the commands that talk to MWAA.
  const { MwaaDagStore, resolveMwaaTarget } = await import('../../mwaa/mwaa-target.js');
  const store = await resolveMwaaTarget(`mwaa://${opts.environment}`, {
    options: parseEnv(io.env),
    cwd: io.cwd,
    ...(opts.s3Endpoint ? { s3Endpoint: opts.s3Endpoint } : {}),
  });
  if (!(store instanceof MwaaDagStore)) throw new Error('mwaa:// resolved to a store of another kind');
  return store;
}
