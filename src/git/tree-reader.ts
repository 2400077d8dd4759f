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
      try {
        const out = await this.git.run(['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`]);
        const sha = out.trim();
        if (/^[0-9a-f]{40,64}$/.test(sha)) return sha;
      } catch {
        // try the next candidate
      }
    }
    throw new GitError(
      `cannot resolve ${JSON.stringify(ref)} to a commit in ${this.git.dir}`,
      'check the branch or SHA exists and was fetched',
    );
  }

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

  async changedFiles(base: string, head: string): Promise<string[]> {
    assertSha(base);
    assertSha(head);
    const out = await this.git.run(['diff', '--name-only', '--no-renames', '-z', base, head]);
    return out.split('\0').filter(Boolean).sort();
  }

  /**
   * The config files as merging `head` into `base` would leave them: `base`'s files with
   * the head's own changes since their merge base applied on top. Where both sides changed
   * a file, the head's version wins (GitHub would ask for a rebase).
   */
  async readMergedConfigFiles(base: string, head: string): Promise<Map<string, string>> {
    assertSha(base);
    assertSha(head);
    const mergeBase = (await this.git.run(['merge-base', base, head]).catch(() => '')).trim();
    if (!mergeBase || mergeBase === base) return this.readConfigFiles(head);
    const [files, headFiles, changed] = await Promise.all([
      this.readConfigFiles(base),
      this.readConfigFiles(head),
      this.changedFiles(mergeBase, head),
    ]);
    for (const path of changed) {
      const content = headFiles.get(path);
      if (content !== undefined) files.set(path, content);
      else files.delete(path);
    }
    return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** True when the object exists locally (a fetch may be needed otherwise). */
  async hasCommit(sha: string): Promise<boolean> {
    try {
      await this.git.run(['cat-file', '-e', `${sha}^{commit}`]);
      return true;
    } catch {
      return false;
    }
  }
}

function assertSha(sha: string): void {
  if (!/^[0-9a-f]{40,64}$/.test(sha)) {
    throw new GitError(`expected a full commit SHA, got ${JSON.stringify(sha)}`, 'resolve the ref first');
  }
}
