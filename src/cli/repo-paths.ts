import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { ConfigRepoResult } from '../config/index.js';
import { UsageError } from '../shared/errors.js';
import { readConfigDir } from './read-config-dir.js';

/** Resolves `--repo` against the working directory and checks it is a directory. */
export async function resolveRepoDir(cwd: string, repo: string): Promise<string> {
  const dir = resolve(cwd, repo);
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) {
    throw new UsageError(
      `config repository ${repo} is not a directory`,
      'pass the repo root with --repo DIR',
    );
  }
  return dir;
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
 * examples backtests/x.yaml` run beside it).
 */
export function toRepoPath(cwd: string, repoDir: string, file: string): string {
  const fromCwd = relative(repoDir, isAbsolute(file) ? file : resolve(cwd, file));
  const path = isInside(fromCwd) || isAbsolute(file) ? fromCwd : relative(repoDir, resolve(repoDir, file));
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
