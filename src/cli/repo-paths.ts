import type { Stats } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ConfigRepoResult } from '../config/index.js';
import { UsageError } from '../shared/errors.js';
import { statIfExists } from '../shared/fs-errors.js';
import { readConfigDir } from './read-config-dir.js';

/** The help text of every `--repo` option: what happens when it is left out. */
export const REPO_OPTION_HELP =
  'config repository root (default: the nearest folder at or above the current one, or above the first FILE, holding backtest-gitops.yaml, a backtests folder or .git)';

/**
 * Resolves `--repo` against the working directory and checks it is a directory. Without
 * `--repo`, the root is found as git finds its work tree: the nearest folder at or above
 * `from` (the working directory, or the folder of the first FILE argument) that holds
 * backtest-gitops.yaml, a backtests/ folder (the default layout) or .git; the working
 * directory when there is none.
 */
export async function resolveRepoDir(cwd: string, repo: string | undefined, from?: string): Promise<string> {
  if (repo === undefined) return findRepoRoot(resolve(cwd, from ?? '.'), cwd);
  const dir = resolve(cwd, repo);
  const info = await inspect(dir, repo);
  if (!info?.isDirectory()) {
    throw new UsageError(
      `config repository ${repo} is not a directory`,
      'pass the repo root with --repo DIR',
    );
  }
  return dir;
}

async function findRepoRoot(start: string, cwd: string): Promise<string> {
  const info = await inspect(start, start);
  let dir = info?.isDirectory() ? start : dirname(start);
  for (;;) {
    for (const marker of ['backtest-gitops.yaml', 'backtests', '.git']) {
      if (await isVisible(join(dir, marker))) return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) return cwd;
    dir = parent;
  }
}

/** `stat`, null when nothing is there; a failure to look (permissions, I/O) is a usage error naming `shown`. */
async function inspect(path: string, shown: string): Promise<Stats | null> {
  try {
    return await statIfExists(path);
  } catch (err) {
    throw new UsageError(
      `cannot read ${shown}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      undefined,
      {
        cause: err,
      },
    );
  }
}

/**
 * Whether a root marker is there. One in a folder we may not look into (EACCES, EPERM: a
 * parent such as /home on a shared machine) is not ours: the search goes on upward, as git's does.
 */
async function isVisible(path: string): Promise<boolean> {
  try {
    return (await statIfExists(path)) !== null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return false;
    throw err;
  }
}

/** readConfigDir, with I/O failures turned into an error that says which directory. */
export async function readRepoFiles(dir: string): Promise<Map<string, string>> {
  try {
    return await readConfigDir(dir);
  } catch (err) {
    throw new UsageError(`cannot read the config repository ${dir}: ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }
}

/**
 * A FILE argument as a repo-relative, forward-slash path, the form config issues and specs
 * use. A relative FILE is taken from the working directory when that lands inside the repo
 * (`validate backtests/x.yaml` run in the repo), else from the repo root (`validate --repo
 * examples backtests/x.yaml` run beside it); also from the root when only that names a
 * file of the repo (`expand backtests/x.yaml` run in backtests/, as the docs write it).
 */
export function toRepoPath(
  cwd: string,
  repoDir: string,
  file: string,
  exists: (repoPath: string) => boolean = () => true,
): string {
  const fromCwd = relative(repoDir, isAbsolute(file) ? file : resolve(cwd, file));
  const fromRoot = relative(repoDir, resolve(repoDir, file));
  const posix = (p: string) => p.split(sep).join('/');
  const cwdWins = isInside(fromCwd) && (exists(posix(fromCwd)) || !exists(posix(fromRoot)));
  const path = cwdWins || isAbsolute(file) ? fromCwd : fromRoot;
  if (!isInside(path)) {
    throw new UsageError(
      `${file} is not inside the config repository ${repoDir}`,
      'pass --repo DIR for its repo',
    );
  }
  return path.split(sep).join('/');
}

function isInside(relativePath: string): boolean {
  return relativePath !== '' && !relativePath.startsWith('..') && !isAbsolute(relativePath);
}

/** `--environment NAME` that backtest-gitops.yaml does not define is a usage error (exit 2), not a config error. */
export function assertKnownEnvironment(result: ConfigRepoResult): void {
  const unknown = result.issues.find((issue) => issue.code === 'unknown-environment');
  if (unknown) throw new UsageError(unknown.message, unknown.hint);
}
