import { type Command, Option } from 'commander';
import picomatch from 'picomatch';
import { type ConfigRepoResult, loadConfigRepo, SETTINGS_FILE } from '../../config/index.js';
import { UsageError } from '../../shared/errors.js';
import { ExitCode } from '../exit-codes.js';
import { issueToJson, printIssues, sourceSpansOf } from '../format-issues.js';
import type { CliIo } from '../io.js';
import {
  assertKnownEnvironment,
  REPO_OPTION_HELP,
  readRepoFiles,
  resolveRepoDir,
  toRepoPath,
} from '../repo-paths.js';
import type { RegisterCommand } from './index.js';

interface ValidateOptions {
  repo?: string;
  format: 'text' | 'json';
  environment?: string;
}

export const registerValidate: RegisterCommand = (program: Command, io: CliIo, state) => {
  program
    .command('validate')
    .description('Check every backtest config of a repository and report each problem with file:line:column.')
    .argument('[files...]', 'only report these config files (dag_id collisions are still checked repo-wide)')
    .option('--repo <dir>', REPO_OPTION_HELP)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--environment <name>', 'apply the defaults of this environment from backtest-gitops.yaml')
    .addHelpText(
      'after',
      `
Examples:
  $ backtestctl validate --repo examples
  $ backtestctl validate backtests/momentum_grid.yaml
  $ backtestctl validate --format json --environment production

Exit codes: 0 all valid, 1 invalid configs, 2 usage or I/O error.`,
    )
    .action(async (files: string[], options: ValidateOptions) => {
      state.exitCode = await runValidate(io, files, options);
    });
};

async function runValidate(io: CliIo, fileArgs: string[], options: ValidateOptions): Promise<ExitCode> {
  const repoDir = await resolveRepoDir(io.cwd, options.repo, fileArgs[0]);
  const files = await readRepoFiles(repoDir);
  const result = loadConfigRepo(files, { environment: options.environment });
  assertKnownEnvironment(result);
  const selected = selectFiles(
    result,
    files,
    fileArgs.map((f) => toRepoPath(io.cwd, repoDir, f, (p) => files.has(p))),
  );
  const report = buildReport(result, files, selected);
  if (options.format === 'json') {
    const sourceOf = sourceSpansOf(files);
    const json = {
      ok: report.ok,
      configs: report.configs,
      errors: report.errors.map((issue) => issueToJson(issue, sourceOf(issue.file))),
    };
    io.stdout(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    printIssues(io, report.errors, files, { stream: 'stdout', repoDir });
    const runs = report.configs.reduce((sum, c) => sum + c.runs, 0);
    io.stdout(`${report.checked} configs, ${runs} runs, ${report.errors.length} errors\n`);
    if (report.checked === 0 && fileArgs.length === 0) {
      io.stderr(`note: no config files in ${repoDir} match ${result.settings.include.join(', ')}\n`);
    }
  }
  return report.ok ? ExitCode.ok : ExitCode.invalid;
}

/** The repo paths to report on: all config files, or the FILE arguments (which must be configs). */
function selectFiles(
  result: ConfigRepoResult,
  files: ReadonlyMap<string, string>,
  requested: string[],
): ReadonlySet<string> | null {
  if (requested.length === 0) return null;
  const isConfig = picomatch(result.settings.include);
  for (const path of requested) {
    if (!files.has(path)) throw new UsageError(`${path}: no such YAML file in the config repository`);
    if (path !== SETTINGS_FILE && !isConfig(path)) {
      throw new UsageError(
        `${path} is not a config file`,
        `config files match ${result.settings.include.join(', ')} (include in ${SETTINGS_FILE})`,
      );
    }
  }
  return new Set(requested);
}

function buildReport(
  result: ConfigRepoResult,
  files: ReadonlyMap<string, string>,
  selected: ReadonlySet<string> | null,
) {
  // Problems in backtest-gitops.yaml affect every config, so they are always shown.
  const shown = (file: string) => selected === null || selected.has(file) || file === SETTINGS_FILE;
  const errors = result.issues.filter((i) => i.severity === 'error' && shown(i.file));
  const configs = result.specs
    .filter((spec) => shown(spec.source))
    .map((spec) => ({
      file: spec.source,
      dag_id: spec.dag_id,
      strategies: spec.strategies.length,
      runs: spec.runs,
    }));
  const isConfig = picomatch(result.settings.include);
  const checked = [...files.keys()].filter(
    (f) => f !== SETTINGS_FILE && isConfig(f) && (selected === null || selected.has(f)),
  ).length;
  const invalidShown = result.invalidFiles.some((f) => shown(f));
  return { ok: errors.length === 0 && !invalidShown, configs, errors, checked };
}
