import { MAX_CONFIG_FILE_BYTES } from '../config/limits.js';
import { GitError } from '../shared/errors.js';
import type { GitRunner } from './git-runner.js';
import { isConfigPath, parseCatFileBatch, parseLsTree } from './read-blobs.js';

/** What the controller and `pr check` need from a Git repository: read configs at a commit. */
export interface ConfigRepoReader {
  /** Resolves a ref (branch, tag, SHA, `refs/...`) to a commit SHA. */
  resolve(ref: string): Promise<string>;
  /** Every `*.yaml` / `*.yml` file at `sha`, keyed by repo-relative path; no working tree needed. */
  readConfigFiles(sha: string): Promise<Map<string, string>>;
  /** Paths that differ between two commits. */
  changedFiles(base: string, head: string): Promise<string[]>;
}

/**
 * Reads commits of a repository (bare cache or a normal clone) straight from the object
 * store: `ls-tree` lists the tree, one `cat-file --batch` process returns every blob.
 */
export class GitTreeReader implements ConfigRepoReader {
  constructor(
    private readonly git: GitRunner,
    /** Alternative names tried when a ref does not resolve as given (e.g. `refs/remotes/origin/<ref>`). */
    private readonly refCandidates: (ref: string) => string[] = (ref) => [ref],
  ) {}

  async resolve(ref: string): Promise<string> {
    if (ref.startsWith('-')) throw new GitError(`invalid ref ${JSON.stringify(ref)}`);
    for (const candidate of this.refCandidates(ref)) {
      // No answer: try the next candidate.
      const sha = (await this.git.ask(['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`]))?.trim();
      if (sha && /^[0-9a-f]{40,64}$/.test(sha)) return sha;
    }
    throw new GitError(
      `cannot resolve ${JSON.stringify(ref)} to a commit in ${this.git.dir}`,
      'check the branch or SHA exists and was fetched',
    );
  }

  /** `sha` may be a commit or a tree (the merge of a PR). */
  async readConfigFiles(sha: string): Promise<Map<string, string>> {
    assertSha(sha);
    const entries = parseLsTree(await this.git.run(['ls-tree', '-r', '-l', '-z', '--full-tree', sha])).filter(
      (e) => e.type === 'blob' && isConfigPath(e.path),
    );
    // An oversized blob is not loaded: a stand-in one byte over the limit lets the config
    // loader report `file-too-large` at no memory cost (as readConfigDir does on disk).
    const oversized = (e: (typeof entries)[number]) => e.size !== null && e.size > MAX_CONFIG_FILE_BYTES;
    const objects = [...new Set(entries.filter((e) => !oversized(e)).map((e) => e.object))];
    const blobs =
      objects.length === 0
        ? new Map<string, string>()
        : parseCatFileBatch(
            await this.git.runWithInput(['cat-file', '--batch'], `${objects.join('\n')}\n`),
            objects,
          );
    const files = new Map<string, string>();
    for (const entry of entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
      files.set(
        entry.path,
        oversized(entry) ? ' '.repeat(MAX_CONFIG_FILE_BYTES + 1) : (blobs.get(entry.object) ?? ''),
      );
    }
    return files;
  }

  /**
   * The last commit that changed each file, as of commit `sha` (path → SHA, paths as in
   * readConfigFiles): one `git log` walk for the whole tree. Only a file's own commits count
   * (a change of backtest-gitops.yaml does not move a config's commit).
   */
  async lastCommits(sha: string): Promise<Map<string, string>> {
    assertSha(sha);
    return parseLastCommits(await this.git.run(LAST_COMMITS_LOG.concat(sha)));
  }

  async changedFiles(base: string, head: string): Promise<string[]> {
    assertSha(base);
    assertSha(head);
    const out = await this.git.run(['diff', '--name-only', '--no-renames', '-z', base, head]);
    return out.split('\0').filter(Boolean).sort();
  }

  /**
   * The config files of the exact tree that merging `head` into `base` produces: git's own
   * three-way merge (`git merge-tree --write-tree`, git 2.38 or later), so edits of both
   * sides to different hunks of one file are merged as GitHub would merge them. A merge that
   * does not apply cleanly throws MergeConflictError naming the conflicting paths.
   */
  async readMergedConfigFiles(base: string, head: string): Promise<Map<string, string>> {
    assertSha(base);
    assertSha(head);
    if (base === head || (await this.isAncestor(base, head))) return this.readConfigFiles(head);
    // Exit 1 (conflicts) comes back as output here, as git prints nothing on stderr with
    // --no-messages: the tree's id, then one conflicting path per line.
    const out = await this.git.run([
      'merge-tree',
      '--write-tree',
      '--name-only',
      '--no-messages',
      base,
      head,
    ]);
    const [tree = '', ...paths] = out.split('\n').filter(Boolean);
    if (paths.length > 0) throw new MergeConflictError(base, head, [...new Set(paths)].sort());
    return this.readConfigFiles(tree.trim());
  }

  /** True when `ancestor` is `commit` or one of its ancestors (false when either is unknown here). */
  async isAncestor(ancestor: string, commit: string): Promise<boolean> {
    if (ancestor === commit) return true;
    if (!SHA.test(ancestor) || !SHA.test(commit)) return false;
    // No merge base (unrelated histories) or an unknown commit: git answers no.
    const base = await this.git.ask(['merge-base', ancestor, commit]);
    return base?.trim() === ancestor;
  }

  /** True when the object exists locally (a fetch may be needed otherwise). */
  async hasCommit(sha: string): Promise<boolean> {
    return (await this.git.ask(['cat-file', '-e', `${sha}^{commit}`])) !== null;
  }
}

const SHA = /^[0-9a-f]{40,64}$/;

/**
 * `git log` listing each commit (newest first, parents after children) with the files it
 * changed; merges list only the files they changed against every parent (`-c`), as
 * `git log -1 -- PATH` would count them.
 */
export const LAST_COMMITS_LOG = [
  'log',
  '-c',
  '-z',
  '--topo-order',
  '--no-renames',
  '--name-only',
  '--format=%x01%H',
];

/** The first (newest) commit named for each path in LAST_COMMITS_LOG's output. */
export function parseLastCommits(out: string): Map<string, string> {
  const last = new Map<string, string>();
  let commit: string | null = null;
  for (const token of out.split('\0')) {
    const text = token.replace(/^\n+/, '');
    if (text.startsWith('\x01')) commit = text.slice(1).trim();
    else if (text !== '' && commit !== null && !last.has(text)) last.set(text, commit);
  }
  return last;
}

/** Merging a PR head into the default branch stops on conflicts in these paths. */
export class MergeConflictError extends GitError {
  constructor(
    readonly base: string,
    readonly head: string,
    readonly paths: string[],
  ) {
    super(
      `${head.slice(0, 7)} does not merge cleanly into ${base.slice(0, 7)}: merge conflict in ${paths.join(', ')}`,
      'rebase the branch onto the default branch (or merge it in) and resolve the conflict',
    );
  }
}

function assertSha(sha: string): void {
  if (!SHA.test(sha)) {
    throw new GitError(`expected a full commit SHA, got ${JSON.stringify(sha)}`, 'resolve the ref first');
  }
}
