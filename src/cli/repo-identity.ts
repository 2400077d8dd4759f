import { relative } from 'node:path';
import { readWorkTree } from '../git/local-repo.js';
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

export async function readRepoIdentity(dir: string, childEnv: Record<string, string>): Promise<RepoIdentity> {
  const tree = await readWorkTree(dir, childEnv);
  const root = tree.topLevel ?? dir;
  const path = relative(root, dir).split('\\').join('/') || '.';
  return {
    commit: tree.head ?? 'local',
    owner: { repo: tree.origin ? normaliseRepoUrl(tree.origin) : `file://${root}`, path },
    isAncestor: (ancestor, commit) => tree.isAncestor(ancestor, commit),
  };
}
