import { mkdir, rm, stat } from 'node:fs/promises';
import { GitError } from '../shared/errors.js';
import { assertNoCredentialsInUrl, type GitAuth, gitAuthEnv } from './git-auth.js';
import { GitRunner } from './git-runner.js';
import { type ConfigRepoReader, GitTreeReader } from './tree-reader.js';

export interface GitRepoCacheOptions {
  /** Remote URL without credentials (https://host/owner/repo.git, ssh://..., or a local path). */
  url: string;
  /** Folder for the bare cache; created on first sync, re-created when corrupted. */
  cacheDir: string;
  auth?: GitAuth;
  /** Default branch; detected from the remote's HEAD when absent. */
  branch?: string;
  /** What git inherits from the process: `parseEnv().childEnv` (PATH, HOME, proxies, ssh agent). */
  childEnv: Record<string, string>;
}

/**
 * A bare, fetch-only copy of the config repository. The first sync initialises it, later
 * syncs fetch the default branch and every `refs/pull/N/head` with forced refspecs (so
 * force-pushes just move refs). A cache that fails `git fsck` or a fetch is thrown away
 * and fetched again: it is only a cache.
 */
export class GitRepoCache implements ConfigRepoReader {
  /** Local operations: no credentials in their environment. */
  private readonly git: GitRunner;
  private readonly reader: GitTreeReader;
  private branchName: string | null;
  private verified = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: GitRepoCacheOptions) {
    assertNoCredentialsInUrl(opts.url);
    gitAuthEnv(opts.url, opts.auth); // validates the auth for this URL up front
    this.git = new GitRunner(opts.cacheDir, opts.childEnv, gitAuthEnv(opts.url, {}));
    this.branchName = opts.branch ?? null;
    this.reader = new GitTreeReader(this.git, (ref) => [
      ref,
      `refs/remotes/origin/${ref}`,
      ...(/^\d+$/.test(ref) ? [`refs/remotes/pull/${ref}/head`] : []),
    ]);
  }

  /** The default branch (known after the first sync). */
  get branch(): string {
    if (!this.branchName) throw new GitError('the default branch is not known yet', 'call sync() first');
    return this.branchName;
  }

  /** Brings the cache up to date with the remote; serialised so concurrent callers share one fetch. */
  sync(): Promise<void> {
    const next = this.queue.then(() => this.syncOnce());
    // catch-all: this caller gets the failure through `next`; the queue only orders the syncs.
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** SHA of the default branch as last fetched. */
  defaultBranchSha(): Promise<string> {
    return this.reader.resolve(`refs/remotes/origin/${this.branch}`);
  }

  resolve(ref: string): Promise<string> {
    return this.reader.resolve(ref);
  }

  async readConfigFiles(sha: string): Promise<Map<string, string>> {
    // A webhook can name a commit before our next fetch: fetch once, then read.
    if (!(await this.reader.hasCommit(sha))) await this.sync();
    try {
      return await this.reader.readConfigFiles(sha);
    } catch (err) {
      this.verified = false; // a failed read may mean corruption: fsck on next sync
      throw err;
    }
  }

  /** Path → last commit that changed it, as of `sha` (GitTreeReader.lastCommits). */
  async lastCommits(sha: string): Promise<Map<string, string>> {
    if (!(await this.reader.hasCommit(sha))) await this.sync();
    return this.reader.lastCommits(sha);
  }

  async changedFiles(base: string, head: string): Promise<string[]> {
    return this.reader.changedFiles(base, head);
  }

  /**
   * The config files of the tree merging `head` into the default branch produces (git's own
   * merge, see GitTreeReader): a PR branched before later merges plans only its own changes,
   * and a PR that does not merge cleanly throws MergeConflictError naming the files.
   */
  async readMergedConfigFiles(head: string): Promise<{ files: Map<string, string>; base: string }> {
    if (!(await this.reader.hasCommit(head))) await this.sync();
    const base = await this.defaultBranchSha();
    return { files: await this.reader.readMergedConfigFiles(base, head), base };
  }

  /** Git ancestry in the cache, for ordered deploys (false when a commit is not fetched). */
  isAncestor(ancestor: string, commit: string): Promise<boolean> {
    return this.reader.isAncestor(ancestor, commit);
  }

  private async syncOnce(): Promise<void> {
    if (!(await this.isUsable())) await this.recreate();
    try {
      await this.fetch();
    } catch (err) {
      if (!this.looksCorrupt(err)) throw err;
      await this.recreate();
      await this.fetch();
    }
    if (!this.verified) {
      if (!(await this.fsckOk())) {
        await this.recreate();
        await this.fetch();
      }
      this.verified = true;
    }
  }

  /** A runner for operations that talk to the remote, carrying a current token. */
  private async remoteGit(): Promise<GitRunner> {
    const auth = this.opts.auth ?? {};
    const token = auth.getToken ? await auth.getToken() : auth.token;
    const withToken = {
      ...(token ? { token } : {}),
      ...(auth.sshKeyPath ? { sshKeyPath: auth.sshKeyPath } : {}),
    };
    return new GitRunner(
      this.opts.cacheDir,
      this.opts.childEnv,
      gitAuthEnv(this.opts.url, withToken),
      token ? [token] : [],
    );
  }

  private async fetch(): Promise<void> {
    if (!this.branchName) this.branchName = await this.detectDefaultBranch();
    const b = this.branchName;
    await (await this.remoteGit()).use('fetch', (git) =>
      git.fetch([
        '--prune',
        '--no-tags',
        '--quiet',
        'origin',
        `+refs/heads/${b}:refs/remotes/origin/${b}`,
        '+refs/pull/*/head:refs/remotes/pull/*/head',
      ]),
    );
  }

  private async detectDefaultBranch(): Promise<string> {
    const out = await (await this.remoteGit()).use('ls-remote', (git) =>
      git.listRemote(['--symref', 'origin', 'HEAD']),
    );
    const match = /^ref: refs\/heads\/(\S+)\s+HEAD$/m.exec(out);
    if (!match?.[1]) {
      throw new GitError(
        'could not detect the default branch of the config repository',
        'set the branch explicitly in the controller config (git.branch)',
      );
    }
    return match[1];
  }

  private async isUsable(): Promise<boolean> {
    if (!(await exists(this.opts.cacheDir))) return false;
    const bare = (await this.git.ask(['rev-parse', '--is-bare-repository']))?.trim();
    if (bare !== 'true') return false;
    const url = await this.git.use('config', (git) => git.getConfig('remote.origin.url', 'local'));
    return url.value === this.opts.url;
  }

  private async fsckOk(): Promise<boolean> {
    return (await this.git.ask(['fsck', '--no-dangling', '--no-progress'])) !== null;
  }

  private looksCorrupt(err: unknown): boolean {
    const text = err instanceof Error ? err.message : String(err);
    return /corrupt|bad object|did not send all necessary objects|unable to read|not a git repository|invalid index-pack|packfile|loose object|missing blob|missing tree|broken/i.test(
      text,
    );
  }

  private async recreate(): Promise<void> {
    await rm(this.opts.cacheDir, { recursive: true, force: true });
    await mkdir(this.opts.cacheDir, { recursive: true });
    await this.git.use('init', (git) => git.init(true, ['--quiet']));
    await this.git.use('remote', (git) => git.addRemote('origin', this.opts.url));
    // gc would repack behind our back; the cache is small and rebuilt on corruption anyway.
    await this.git.use('config', (git) => git.addConfig('gc.auto', '0', false, 'local'));
    this.verified = true; // freshly fetched objects were verified by index-pack
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
