import { appendFile } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import type { RepoLinks } from '../../report/types.js';
import { parseEnv } from '../../shared/env.js';
import { UsageError } from '../../shared/errors.js';
import { ExitCode } from '../exit-codes.js';
import { githubAnnotation, sourceSpansOf } from '../format-issues.js';
import type { CliIo } from '../io.js';
import type { RegisterCommand } from './index.js';

interface PrCheckOptions {
  repo: string;
  base: string;
  head: string;
  format: string;
  githubOutput?: boolean;
  environment?: string;
  linkBase?: string;
}

/**
 * `backtestctl pr check`: the PR comment, computed locally from two refs of a clone, for any
 * CI. The base commit's rendering stands in for "what is deployed".
 */
export const registerPr: RegisterCommand = (program, io, state) => {
  const pr = program.command('pr').description('pull-request checks');
  pr.command('check')
    .description('validate the configs at --head and plan them against --base, as the PR comment shows it')
    .requiredOption('--base <ref>', 'base ref (branch, tag or SHA), e.g. origin/main')
    .requiredOption('--head <ref>', 'head ref, e.g. HEAD')
    .option('--repo <dir>', 'local clone of the config repository', '.')
    .option('--format <format>', 'text | markdown | json', 'text')
    .option(
      '--github-output',
      'also append the markdown report to $GITHUB_STEP_SUMMARY (GitHub Actions job summary)',
    )
    .option('--environment <name>', 'environment from backtest-gitops.yaml whose defaults apply')
    .option(
      '--link-base <url>',
      'repository web URL for file:line links (default: from GITHUB_SERVER_URL/GITHUB_REPOSITORY)',
    )
    .action(async (opts: PrCheckOptions) => {
      state.exitCode = await runPrCheck(opts, io);
    });
};

async function runPrCheck(opts: PrCheckOptions, io: CliIo): Promise<ExitCode> {
  if (!['text', 'markdown', 'json'].includes(opts.format)) {
    throw new UsageError(`unknown --format ${JSON.stringify(opts.format)}`, 'use text, markdown or json');
  }
  const env = parseEnv(io.env);
  const summaryFile = opts.githubOutput ? env.githubStepSummary : undefined;
  if (opts.githubOutput && !summaryFile) {
    throw new UsageError(
      '--github-output needs $GITHUB_STEP_SUMMARY',
      'run inside GitHub Actions, or set it to a file path',
    );
  }
  // git and the report renderers load only for this command, not at every start-up.
  const [{ openLocalRepo }, { checkConfigs, deployedFromCommit }, { renderPrComment }, textReport] =
    await Promise.all([
      import('../../git/local-repo.js'),
      import('../../report/check-configs.js'),
      import('../../report/pr-comment.js'),
      import('../../report/text-report.js'),
    ]);
  const { renderTextReport, reportJson } = textReport;
  const repo = openLocalRepo(resolve(io.cwd, opts.repo), env.childEnv);
  const [baseSha, headSha] = [await repo.resolve(opts.base), await repo.resolve(opts.head)];
  const environment = opts.environment ? { environment: opts.environment } : {};
  const deployed = deployedFromCommit(await repo.readConfigFiles(baseSha), baseSha, environment);
  // Plan what merging would deploy: head's own changes onto base, so a head that is behind
  // base does not show reverts of base's later commits.
  const files = await repo.readMergedConfigFiles(baseSha, headSha);
  const report = checkConfigs({
    files,
    headSha,
    mergedOnto: baseSha,
    deployed,
    links: linksFor(opts.linkBase ?? env.githubRepositoryUrl),
    ...environment,
  });
  const markdown = renderPrComment(report);
  io.stdout(
    opts.format === 'json'
      ? reportJson(report)
      : opts.format === 'markdown'
        ? markdown
        : renderTextReport(report),
  );
  if (env.githubActions) {
    // Annotations on the PR's files; on stderr under --format json so stdout stays JSON.
    const write = opts.format === 'json' ? io.stderr : io.stdout;
    const repoDir = resolve(io.cwd, opts.repo);
    const workspace = env.githubWorkspace ?? io.cwd;
    const sourceOf = sourceSpansOf(files);
    for (const issue of report.issues.filter((i) => i.severity === 'error')) {
      const path = relative(workspace, resolve(repoDir, issue.file)).split(sep).join('/');
      write(`${githubAnnotation(issue, path, sourceOf(issue.file))}\n`);
    }
  }
  if (summaryFile) {
    await appendFile(summaryFile, `${markdown}\n`).catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(
        `cannot append to $GITHUB_STEP_SUMMARY (${summaryFile}): ${err.code ?? err.message}`,
        'set GITHUB_STEP_SUMMARY to a writable file, or drop --github-output',
      );
    });
  }
  return report.valid ? ExitCode.ok : ExitCode.invalid;
}

function linksFor(url: string | undefined): RepoLinks | null {
  if (!url) return null;
  const match = /^(https?:\/\/[^/]+)\/([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url);
  if (!match?.[1] || !match[2] || !match[3]) {
    throw new UsageError(`--link-base must look like https://host/owner/repo, got ${JSON.stringify(url)}`);
  }
  return { webUrl: match[1], owner: match[2], repo: match[3] };
}
