import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { loadConfigRepo } from '../../config/index.js';
import { parseEnv } from '../../shared/env.js';
import { UsageError } from '../../shared/errors.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { REPO_OPTION_HELP, readRepoFiles, resolveRepoDir } from '../repo-paths.js';
import type { RegisterCommand } from './index.js';

interface ResultsOptions {
  from?: string;
  run?: string;
  environment?: string;
  bucket?: string;
  repo?: string;
  configEnvironment?: string;
  objective?: string;
  metrics?: string;
  trials?: string;
  s3Endpoint?: string;
  format: 'text' | 'markdown' | 'json' | 'csv';
}

/** `backtestctl results`: a sweep's runs ranked, with the overfitting check, from MWAA + S3 or a folder. */
export const registerResults: RegisterCommand = (program: Command, io: CliIo, state) => {
  program
    .command('results')
    .description('rank the runs of a backtest sweep by its objective, with the Deflated Sharpe Ratio')
    .argument('[dag_id]', 'DAG whose latest run (or --run) to summarise, from MWAA and the results bucket')
    .option('--from <dir>', 'summarise a local folder of metrics.json files instead (no cloud)')
    .option('--run <run_id>', 'the DAG run to summarise (default: the latest)')
    .option('--environment <name>', 'MWAA environment (with DAG_ID)')
    .option(
      '--bucket <name>',
      'results bucket of every strategy (default: each strategy’s s3_bucket, else the Airflow Variable)',
    )
    .option('--repo <dir>', REPO_OPTION_HELP)
    .option('--config-environment <name>', 'environment of backtest-gitops.yaml the config is read with')
    .option('--objective <metric>', 'metric to rank by (default: the config’s report.objective, else sharpe)')
    .option('--metrics <names>', 'comma-separated metric columns (default: report.metrics)')
    .option('--trials <n>', 'with --from: combinations tried, if more than the folders found')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint (else AWS_ENDPOINT_URL_S3)')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['text', 'markdown', 'json', 'csv'])
        .default('text'),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ backtestctl results --from examples/results
  $ backtestctl results --from ./results --format csv > sweep.csv
  $ backtestctl results momentum_grid --environment research-mwaa --format markdown

Exit codes: 0 every run has results, 1 some run failed or wrote no readable metrics.json, 2 error.`,
    )
    .action(async (dagId: string | undefined, opts: ResultsOptions) => {
      const results = await import('../../results/index.js');
      const report = {
        objective: opts.objective ?? results.DEFAULT_REPORT.objective,
        metrics: opts.metrics
          ? opts.metrics
              .split(',')
              .map((m) => m.trim())
              .filter(Boolean)
          : undefined,
      };
      for (const name of [report.objective, ...(report.metrics ?? [])]) {
        if (!results.METRIC_NAME.test(name)) {
          throw new UsageError(`'${name}' is not a metric name`, 'letters, digits and _, as in metrics.json');
        }
      }
      let inputs: import('../../results/index.js').ResultsInput[];
      if (opts.from !== undefined) {
        if (dagId !== undefined) throw new UsageError('give either DAG_ID or --from DIR, not both');
        const trials = opts.trials === undefined ? undefined : Number(opts.trials);
        if (trials !== undefined && !(Number.isInteger(trials) && trials > 0)) {
          throw new UsageError(`--trials ${opts.trials} is not a positive whole number`);
        }
        const { LocalResultsStore } = await import('../../results/local-results-store.js');
        const dir = resolve(io.cwd, opts.from);
        inputs = await results.discoverResults(
          new LocalResultsStore(dir),
          { objective: report.objective, metrics: report.metrics ?? results.DEFAULT_REPORT.metrics },
          trials === undefined ? {} : { trials },
        );
        if (inputs.length === 0) {
          throw new UsageError(
            `no run folders under ${opts.from}`,
            'results are laid out as backtests/<dag_id>/<dag_run_id>/<strategy>/run-NNNNN/metrics.json',
          );
        }
      } else {
        if (dagId === undefined) throw new UsageError('give a DAG_ID (with --environment) or --from DIR');
        if (!opts.environment) throw new UsageError('DAG_ID needs --environment (the MWAA environment)');
        inputs = [await fromMwaa(dagId, opts, report, io)];
      }
      const summaries = inputs.map((input) => results.summarizeResults(input));
      io.stdout(render(results, summaries, opts.format));
      state.exitCode = summaries.some((s) => s.counts.failed > 0 || s.counts.unreadable > 0)
        ? ExitCode.invalid
        : ExitCode.ok;
    });
};

function render(
  results: typeof import('../../results/index.js'),
  summaries: import('../../results/index.js').ResultsSummary[],
  format: ResultsOptions['format'],
): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(summaries, null, 2)}\n`;
    case 'csv':
      return summaries.map((s) => results.renderResultsCsv(s)).join('\r\n');
    case 'markdown':
      return results.renderResultsComment({ summaries });
    default:
      return results.renderResultsText(summaries);
  }
}

async function fromMwaa(
  dagId: string,
  opts: ResultsOptions,
  report: { objective: string; metrics: string[] | undefined },
  io: CliIo,
): Promise<import('../../results/index.js').ResultsInput> {
  const repoDir = await resolveRepoDir(io.cwd, opts.repo);
  const config = loadConfigRepo(
    await readRepoFiles(repoDir),
    opts.configEnvironment ? { environment: opts.configEnvironment } : {},
  );
  const spec = config.specs.find((s) => s.dag_id === dagId);
  if (!spec) {
    throw new UsageError(
      `no valid config in ${repoDir} has dag_id ${dagId}`,
      'run it in the config repository (or pass --repo), and check `backtestctl validate`',
    );
  }
  const env = parseEnv(io.env);
  const { connectMwaa } = await import('../../mwaa/mwaa-connection.js');
  const { S3ResultsStore, resultsS3Client } = await import('../../results/s3-results-store.js');
  const results = await import('../../results/index.js');
  const connection = connectMwaa(opts.environment as string, env);
  const version = results.airflowMajorVersion(await connection.airflow.version());
  // Each strategy's runs are in its own s3_bucket (--bucket overrides them all); a strategy
  // without one uses the Airflow Variable, read once.
  let variable: string | null | undefined;
  const buckets = new Map<string, string>();
  for (const strategy of spec.strategies) {
    let bucket = opts.bucket ?? strategy.infra.results_bucket;
    if (!bucket) {
      if (variable === undefined)
        variable = await connection.airflow.getVariable('trading_strategies_bucket');
      bucket = variable;
    }
    if (!bucket) {
      throw new UsageError(
        `no results bucket for strategy ${strategy.name}: the config has no s3_bucket and the Airflow Variable trading_strategies_bucket is not set`,
        'pass --bucket NAME',
      );
    }
    buckets.set(strategy.name, bucket);
  }
  const client = resultsS3Client(env, opts.s3Endpoint);
  const stores = new Map<string, import('../../results/index.js').ResultsStore>();
  const storeFor = (strategy: string) => {
    const bucket = buckets.get(strategy) ?? (buckets.values().next().value as string);
    let store = stores.get(bucket);
    if (!store) {
      store = new S3ResultsStore(client, bucket);
      stores.set(bucket, store);
    }
    return store;
  };
  // The Airflow UI's host, for the task-log link of a failed run (else run-status.json's).
  const host = (await connection.controlPlane.createCliToken(connection.environment)).webserverHostname;
  const { input } = await results.collectDagRun({
    spec,
    reader: results.dagRunReader(connection.cli, async () => version),
    storeFor,
    runId: opts.run ?? null,
    ...(host
      ? {
          link: (runId: string, taskId: string, mapIndex: number) =>
            results.taskLogUrl(host, version, spec.dag_id, runId, taskId, mapIndex),
        }
      : {}),
    report: {
      objective: opts.objective ?? results.reportSettings(spec).objective,
      metrics: report.metrics ?? results.reportSettings(spec).metrics,
    },
  });
  return input;
}
