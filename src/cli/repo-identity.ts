import { execFile } from 'node:child_process';
import { relative } from 'node:path';
import type { ManifestOwner } from '../plan/types.js';
import { normaliseRepoUrl } from '../targets/claims.js';

/** What `plan` and `apply` learn about the config repo from git: the commit, the owner, ancestry. */
export interface RepoIdentity {
  /** `git rev-parse HEAD`, or "local" outside a git work tree. */
  commit: string;
  /** Owner fields from the repo: its origin URL (normalised) or `file://TOPLEVEL`, and the folder inside it. */
  owner: Pick<ManifestOwner, 'repo' | 'path'>;
  /** True when `ancestor` is `commit` or an ancestor of it in this repo (false when either is unknown). */
  isAncestor(ancestor: string, commit: string): Promise<boolean>;
}

export async function readRepoIdentity(dir: string): Promise<RepoIdentity> {
  const [head, top, origin] = await Promise.all([
    git(dir, ['rev-parse', 'HEAD']),
    git(dir, ['rev-parse', '--show-toplevel']),
    git(dir, ['remote', 'get-url', 'origin']),
  ]);
  const root = top ?? dir;
  const path = relative(root, dir).split('\\').join('/') || '.';
  return {
    commit: head || 'local',
    owner: { repo: origin ? normaliseRepoUrl(origin) : `file://${root}`, path },
    async isAncestor(ancestor, commit) {
      if (ancestor === commit) return true;
      if (!isSha(ancestor) || !isSha(commit)) return false;
      return (await git(dir, ['merge-base', '--is-ancestor', ancestor, commit])) !== null;
    },
  };
}

const isSha = (s: string) => /^[0-9a-f]{40,64}$/.test(s);

/** Runs git; its trimmed stdout, or null when it fails (not a repo, no remote, not an ancestor). */
function git(cwd: string, args: string[]): Promise<string | null> {
  return new Promise((done) => {
    execFile('git', args, { cwd }, (err, stdout) => done(err ? null : stdout.trim()));
  });
}
