import { GitError } from '../shared/errors.js';
import { GitRunner } from './git-runner.js';
import { GitTreeReader, LAST_COMMITS_LOG, parseLastCommits } from './tree-reader.js';

/** A reader over an existing local clone (for `backtestctl pr check --repo DIR`). */
export function openLocalRepo(dir: string, childEnv: Record<string, string>): GitTreeReader {
  return new GitTreeReader(new GitRunner(dir, childEnv), (ref) => [ref, `refs/remotes/origin/${ref}`]);
}

/** What a folder's git work tree says about itself; null where git has no answer. */
export interface WorkTreeFacts {
  /** `git rev-parse HEAD`; null outside a work tree or before the first commit. */
  head: string | null;
  /** `git rev-parse --show-toplevel`. */
  topLevel: string | null;
  /** `git remote get-url origin`; null without such a remote. */
  origin: string | null;
  /** True when `ancestor` is `commit` or one of its ancestors here (false when either is unknown). */
  isAncestor(ancestor: string, commit: string): Promise<boolean>;
}

/** Reads the facts `plan` and `apply` record about the config folder they run in. */
export async function readWorkTree(dir: string, childEnv: Record<string, string>): Promise<WorkTreeFacts> {
  const git = new GitRunner(dir, childEnv);
  // A GitError here means "no answer" (not a repository, no remote, unknown commit).
  const answer = (args: string[]) =>
    git.run(args).then(
      (out) => out.trim() || null,
      (err: unknown) => {
        if (err instanceof GitError) return null;
        throw err;
      },
    );
  const [head, topLevel, origin] = await Promise.all([
    answer(['rev-parse', 'HEAD']),
    answer(['rev-parse', '--show-toplevel']),
    answer(['remote', 'get-url', 'origin']),
  ]);
  return {
    head,
    topLevel,
    origin,
    async isAncestor(ancestor, commit) {
      if (ancestor === commit) return true;
      if (!SHA.test(ancestor) || !SHA.test(commit)) return false;
      return (await answer(['merge-base', ancestor, commit])) === ancestor;
    },
  };
}

const SHA = /^[0-9a-f]{40,64}$/;

/**
 * The last commit that changed each file of a work-tree folder (paths relative to `dir`):
 * one `git log` walk from HEAD. Files git has no committed version of, and files that differ
 * from HEAD (staged or not), are left out: their commit is unknown, never guessed. Empty
 * when `dir` is not in a git work tree or has no commit yet.
 */
export async function readWorkTreeCommits(
  dir: string,
  childEnv: Record<string, string>,
): Promise<Map<string, string>> {
  const git = new GitRunner(dir, childEnv);
  const [log, changed] = await Promise.all([
    git.ask([...LAST_COMMITS_LOG, '--relative', 'HEAD', '--', '.']),
    git.ask(['diff', '--name-only', '--no-renames', '--relative', '-z', 'HEAD', '--', '.']),
  ]);
  if (log === null || changed === null) return new Map();
  const commits = parseLastCommits(log);
  for (const path of changed.split('\0')) if (path !== '') commits.delete(path);
  return commits;
}
