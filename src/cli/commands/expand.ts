import { type Command, Option } from 'commander';
import { type BacktestSpec, iterateRuns, loadConfigRepo, SETTINGS_FILE } from '../../config/index.js';
import { jsonObjectText, runParamJson } from '../../config/written-json.js';
import { UsageError } from '../../shared/errors.js';
import { ExitCode } from '../exit-codes.js';
import { printIssues } from '../format-issues.js';
import type { CliIo } from '../io.js';
import { readRepoCommits } from '../repo-commits.js';
import {
  assertKnownEnvironment,
  REPO_OPTION_HELP,
  readRepoFiles,
  resolveRepoDir,
  toRepoPath,
} from '../repo-paths.js';
import type { RegisterCommand } from './index.js';
import { formatRunsTable } from './runs-table.js';

interface ExpandOptions {
  repo?: string;
  format: 'text' | 'json';
  environment?: string;
}

export const registerExpand: RegisterCommand = (program: Command, io: CliIo, state) => {
  program
    .command('expand')
    .description('Print every backtest run a config produces (its param_grid expanded).')
    .argument('<file>', 'config file, relative to the working directory')
    .option('--repo <dir>', REPO_OPTION_HELP)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--environment <name>', 'apply the defaults of this environment from backtest-gitops.yaml')
    .addHelpText(
      'after',
      `
Examples:
  $ backtestctl expand backtests/grid_search.yaml
  $ backtestctl expand --repo examples examples/backtests/mixed_grid.yaml --format json

Runs are the cartesian product of param_grid, keys in written order, last key fastest.
Exit codes: 0 ok, 1 the config is invalid, 2 usage or I/O error.`,
    )
    .action(async (file: string, options: ExpandOptions) => {
      state.exitCode = await runExpand(io, file, options);
    });
};

async function runExpand(io: CliIo, fileArg: string, options: ExpandOptions): Promise<ExitCode> {
  const repoDir = await resolveRepoDir(io.cwd, options.repo, fileArg);
  const files = await readRepoFiles(repoDir);
  const path = toRepoPath(io.cwd, repoDir, fileArg, (p) => files.has(p));
  if (!files.has(path)) throw new UsageError(`${path}: no such YAML file in the config repository`);
  const commits = options.format === 'json' ? await readRepoCommits(repoDir, io) : undefined;
  const result = loadConfigRepo(files, { environment: options.environment, ...(commits ? { commits } : {}) });
  assertKnownEnvironment(result);
  const spec = result.specs.find((s) => s.source === path);
  if (!spec) {
    if (!result.invalidFiles.includes(path)) {
      throw new UsageError(
        `${path} is not a config file`,
        `config files match ${result.settings.include.join(', ')} (include in ${SETTINGS_FILE})`,
      );
    }
    // Problems in backtest-gitops.yaml can be why the file yields no spec.
    const issues = result.issues.filter((i) => i.file === path || i.file === SETTINGS_FILE);
    printIssues(io, issues, files, { stream: 'stderr', repoDir });
    io.stderr(`${path} is invalid: ${issues.length} errors\n`);
    return ExitCode.invalid;
  }
  if (options.format === 'json') writeJson(io, spec);
  else io.stdout(formatRunsTable(spec));
  return ExitCode.ok;
}

/** Streams the JSON so a 10,000-run grid is never held as one big object. */
function writeJson(io: CliIo, spec: BacktestSpec): void {
  // "commit" (BACKTEST_COMMIT of every run) only when git knows the file's last commit.
  const commit = spec.source_commit ? `\n  "commit": ${JSON.stringify(spec.source_commit)},` : '';
  io.stdout(`{\n  "dag_id": ${JSON.stringify(spec.dag_id)},${commit}\n  "runs": [`);
  let first = true;
  let firstIndex = 0;
  let strategy = spec.strategies[0];
  for (const run of iterateRuns(spec)) {
    while (strategy && strategy.name !== run.strategy) {
      firstIndex += strategy.runs;
      strategy = spec.strategies[spec.strategies.indexOf(strategy) + 1];
    }
    // Values as the container gets them: 5.0 stays 5.0, nested keys in written order.
    const params = strategy
      ? jsonObjectText(runParamJson(strategy, run.index - firstIndex, run.params))
      : JSON.stringify(run.params);
    const entry = `{"index":${run.index},"strategy":${JSON.stringify(run.strategy)},"params":${params}}`;
    io.stdout(`${first ? '' : ','}\n    ${entry}`);
    first = false;
  }
  io.stdout(`${first ? '' : '\n  '}]\n}\n`);
}
