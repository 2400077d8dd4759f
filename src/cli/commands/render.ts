import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfigRepo } from '../../config/index.js';
import { UsageError } from '../../shared/errors.js';
import { ExitCode } from '../exit-codes.js';
import { printIssues } from '../format-issues.js';
import type { CliIo } from '../io.js';
import { readRepoCommits } from '../repo-commits.js';
import { assertKnownEnvironment, REPO_OPTION_HELP, readRepoFiles, resolveRepoDir } from '../repo-paths.js';
import type { RegisterCommand } from './index.js';

interface RenderCommandOptions {
  repo?: string;
  out: string;
  environment?: string;
}

export const registerRender: RegisterCommand = (program: Command, io: CliIo, state) => {
  program
    .command('render')
    .description(
      'Render every backtest config into its Airflow DAG file (plus the backtest_gitops_support package) in a folder. ' +
        'A plain render: no manifest, nothing deleted; use plan/apply to deploy.',
    )
    .option('--repo <dir>', REPO_OPTION_HELP)
    .requiredOption('--out <dir>', 'folder to write the DAG files into (created if missing)')
    .option('--environment <name>', 'apply the defaults of this environment from backtest-gitops.yaml')
    .addHelpText(
      'after',
      `
Examples:
  $ backtestctl render --repo examples --out ./out/dags
  $ backtestctl render --out /tmp/dags --environment staging

Exit codes: 0 rendered, 1 invalid configs (nothing written), 2 usage or I/O error.`,
    )
    .action(async (options: RenderCommandOptions) => {
      state.exitCode = await runRender(io, options);
    });
};

async function runRender(io: CliIo, options: RenderCommandOptions): Promise<ExitCode> {
  const repoDir = await resolveRepoDir(io.cwd, options.repo);
  const files = await readRepoFiles(repoDir);
  // The same bytes `apply` deploys: each config's last commit (BACKTEST_COMMIT) when git knows it.
  const commits = await readRepoCommits(repoDir, io);
  const result = loadConfigRepo(files, { environment: options.environment, commits });
  assertKnownEnvironment(result);
  const errors = result.issues.filter((issue) => issue.severity === 'error');
  if (errors.length > 0 || result.invalidFiles.length > 0) {
    // Same lines as `validate`, so an editor can jump to each problem; nothing is written.
    printIssues(io, errors, files, { stream: 'stderr', repoDir });
    io.stderr(`${result.invalidFiles.length} invalid config file(s); nothing rendered\n`);
    return ExitCode.invalid;
  }
  const outDir = resolve(io.cwd, options.out);
  const { renderRepo } = await import('../../render/index.js');
  const rendered = renderRepo(result.specs);
  for (const file of rendered) {
    const path = join(outDir, ...file.key.split('/'));
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.content);
    } catch (err) {
      throw new UsageError(`cannot write ${path}: ${(err as Error).message}`, 'check --out', { cause: err });
    }
  }
  const dags = rendered.filter((f) => f.dag_id !== null);
  const runs = dags.reduce((sum, f) => sum + f.runs, 0);
  for (const f of dags) io.stdout(`${f.key}  ${f.runs} run${f.runs === 1 ? '' : 's'}  (${f.source})\n`);
  io.stdout(
    `rendered ${dags.length} DAGs (${runs} runs) and ${rendered.length - dags.length} support files into ${options.out}\n`,
  );
  return ExitCode.ok;
}
