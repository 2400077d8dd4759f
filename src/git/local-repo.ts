import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
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

/**
 * What the committed state of a clean work-tree folder is, in git's own object ids: enough
 * to stand for every file's bytes and every file's last commit without reading either.
 *
 * The tree id names the folder's bytes. The newest commit that changed the folder names the
 * per-file last commits (`readWorkTreeCommits`): every commit after it, down the path git's
 * history simplification follows, leaves the folder as it was, so the walk that finds each
 * file's last commit starts at that commit whatever HEAD is; a shallow clone's boundary
 * (listed too) is where that walk stops.
 */
export interface WorkTreeSnapshot {
  /** The folder inside its repository (`git rev-parse --show-prefix`), '' at the root. */
  prefix: string;
  /** The folder's tree id at HEAD. */
  tree: string;
  /** The newest commit (from HEAD) that changed anything in the folder. */
  lastChange: string;
  /** The shallow clone's boundary commits, sorted; empty in a full clone. */
  shallow: string[];
  /** Every path git tracks in the folder, relative to it: the caller checks the folder holds no others. */
  tracked: string[];
}

/**
 * The folder's snapshot when its tracked files are exactly as committed at HEAD, byte for
 * byte; null when that cannot be said cheaply: not a git work tree, no commit yet, the folder
 * not in HEAD, a tracked file changed (staged or not), or a checkout that may rewrite bytes
 * (line-ending conversion, filters, ident, working-tree-encoding). Untracked and ignored
 * files are for the caller to compare with `tracked`.
 */
export async function readWorkTreeSnapshot(
  dir: string,
  childEnv: Record<string, string>,
  /**
   * The files the caller will read (relative to `dir`), when it knows them before git does:
   * only their attributes are checked, side by side with the other questions. Default (or
   * null): every tracked file, once `ls-files` has answered.
   */
  readPaths?: Promise<readonly string[] | null>,
): Promise<WorkTreeSnapshot | null> {
  // Windows checks text out as CRLF by default (core.eol=native): bytes differ from blobs.
  if (process.platform === 'win32') return null;
  const git = new GitRunner(dir, childEnv);
  // Outside a work tree check-attr fails like the questions below: no snapshot, not an error.
  const early = readPaths?.then((paths) =>
    paths
      ? mayRewriteOnCheckout(git, paths).catch((err: unknown) => {
          if (err instanceof GitError) return true;
          throw err;
        })
      : null,
  );
  const [facts, lastChange, changed, listed, conversion, rewrites] = await Promise.all([
    git.ask(['rev-parse', '--show-prefix', '--is-shallow-repository', '--git-path', 'shallow', 'HEAD:./']),
    git.ask(['log', '-1', '--topo-order', '--format=%H', 'HEAD', '--', '.']),
    // Tracked files that differ from HEAD, staged or not (a name is enough to say "dirty").
    git.ask(['diff', '--name-only', '--no-renames', '-z', 'HEAD', '--', '.']),
    // -v tags each path: lowercase = assume-unchanged, S = skip-worktree (below).
    git.ask(['ls-files', '-z', '-v', '--', '.']),
    git.ask(['config', '-z', '--get-regexp', '^core\\.(autocrlf|eol)$']),
    early,
  ]);
  if (facts === null || lastChange === null || changed === null || listed === null) return null;
  if (changed !== '') return null;
  const [prefix = '', shallowFlag, shallowPath, tree] = facts.split('\n');
  if (!tree || !SHA.test(tree) || !SHA.test(lastChange.trim())) return null;
  if (convertsEveryText(conversion)) return null;
  const entries = listed.split('\0').filter((entry) => entry !== '');
  // A file git was told not to look at (update-index --assume-unchanged / --skip-worktree)
  // may differ from HEAD without `git diff` saying so.
  if (entries.some((entry) => !entry.startsWith('H '))) return null;
  const tracked = entries.map((entry) => entry.slice(2));
  if (rewrites ?? (await mayRewriteOnCheckout(git, tracked))) return null;
  let shallow: string[] = [];
  if (shallowFlag === 'true') {
    // catch-all: a shallow boundary we cannot read only rules out this fast path (null); the full read decides.
    const boundary = shallowPath ? await readFile(resolve(dir, shallowPath), 'utf8').catch(() => null) : null;
    if (boundary === null) return null;
    shallow = boundary
      .split('\n')
      .filter((line) => SHA.test(line))
      .sort();
  }
  return { prefix, tree, lastChange: lastChange.trim(), shallow, tracked };
}

/** core.autocrlf=true or core.eol=crlf: text files are checked out with CRLF. */
function convertsEveryText(config: string | null): boolean {
  if (config === null) return false; // exit 1: neither is set
  const entries = config.split('\0').filter(Boolean);
  return entries.some((entry) => {
    const [key = '', value = ''] = entry.split('\n');
    return (
      (key === 'core.autocrlf' && value.toLowerCase() === 'true') || (key === 'core.eol' && value === 'crlf')
    );
  });
}

/** Whether an attribute (eol=crlf, a filter, ident, working-tree-encoding) rewrites any tracked file on checkout. */
async function mayRewriteOnCheckout(git: GitRunner, tracked: readonly string[]): Promise<boolean> {
  if (tracked.length === 0) return false;
  const out = await git.runWithInput(
    ['check-attr', '-z', '--stdin', 'eol', 'filter', 'ident', 'working-tree-encoding'],
    `${tracked.join('\0')}\0`,
  );
  // NUL-separated triples: path, attribute, value.
  const fields = out.toString('utf8').split('\0');
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const attribute = fields[i + 1];
    const value = fields[i + 2];
    if (value === 'unspecified' || value === 'unset') continue;
    if (attribute === 'eol' && value !== 'crlf') continue;
    return true;
  }
  return false;
}
