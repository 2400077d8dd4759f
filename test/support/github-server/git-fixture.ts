import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A real bare repository standing in for the GitHub remote, plus a working clone to make
 * commits in. `refs/pull/N/head` refs are written the way GitHub does.
 */
export interface GitRemoteFixture {
  root: string;
  /** The bare repository (use as the remote URL). */
  bareDir: string;
  workDir: string;
  /** Commits `files` (path -> content; null deletes) on `branch` (created from `from`) and returns the SHA. */
  commit(
    files: Record<string, string | null>,
    opts?: { branch?: string; from?: string; message?: string },
  ): string;
  /** Pushes a branch (forced) to the bare remote. */
  push(branch: string): void;
  /** Points `refs/pull/<n>/head` in the remote at `sha` (what GitHub does on every PR push). */
  setPullHead(pr: number, sha: string): void;
  /** Merges `branch` into the default branch with a merge commit, pushes, returns the merge SHA. */
  merge(branch: string, message?: string): string;
  git(args: string[], cwd?: string): string;
  cleanup(): void;
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Researcher',
  GIT_AUTHOR_EMAIL: 'researcher@example.com',
  GIT_COMMITTER_NAME: 'Researcher',
  GIT_COMMITTER_EMAIL: 'researcher@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function createGitRemote(defaultBranch = 'main'): GitRemoteFixture {
  const root = mkdtempSync(join(tmpdir(), 'btg-remote-'));
  const bareDir = join(root, 'remote.git');
  const workDir = join(root, 'work');
  const git = (args: string[], cwd = workDir): string =>
    execFileSync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' }).trim();
  mkdirSync(bareDir);
  git(['init', '--bare', '--quiet', `--initial-branch=${defaultBranch}`], bareDir);
  mkdirSync(workDir);
  git(['init', '--quiet', `--initial-branch=${defaultBranch}`]);
  git(['remote', 'add', 'origin', bareDir]);
  let current = defaultBranch;
  let hasCommits = false;

  const fixture: GitRemoteFixture = {
    root,
    bareDir,
    workDir,
    git,
    commit(files, opts = {}) {
      const branch = opts.branch ?? defaultBranch;
      if (hasCommits && branch !== current) {
        const exists = git(['branch', '--list', branch]) !== '';
        if (exists) git(['checkout', '--quiet', branch]);
        else git(['checkout', '--quiet', '-b', branch, opts.from ?? defaultBranch]);
      } else if (!hasCommits && branch !== defaultBranch) {
        git(['checkout', '--quiet', '-b', branch]);
      }
      current = branch;
      // One `git rm` (first, so a removed file may become a folder) and one `git add` for all
      // the files: a git process per file cost more CPU than the rest of a small commit.
      const entries = Object.entries(files);
      const removed = entries.filter(([, content]) => content === null).map(([path]) => path);
      if (removed.length > 0) git(['rm', '--quiet', '-f', '--', ...removed]);
      const written: string[] = [];
      for (const [path, content] of entries) {
        if (content === null) continue;
        const abs = join(workDir, path);
        mkdirSync(dirname(abs), { recursive: true });
        writeFileSync(abs, content);
        written.push(path);
      }
      if (written.length > 0) git(['add', '--', ...written]);
      git([
        'commit',
        '--quiet',
        '--allow-empty',
        '-m',
        opts.message ?? `change ${Object.keys(files).join(', ')}`,
      ]);
      hasCommits = true;
      return git(['rev-parse', 'HEAD']);
    },
    push(branch) {
      git(['push', '--quiet', '--force', 'origin', `${branch}:refs/heads/${branch}`]);
    },
    setPullHead(pr, sha) {
      git(['push', '--quiet', '--force', 'origin', `${sha}:refs/pull/${pr}/head`]);
    },
    merge(branch, message = `Merge branch ${branch}`) {
      git(['checkout', '--quiet', defaultBranch]);
      current = defaultBranch;
      git(['merge', '--quiet', '--no-ff', '-m', message, branch]);
      fixture.push(defaultBranch);
      return git(['rev-parse', 'HEAD']);
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
  return fixture;
}
