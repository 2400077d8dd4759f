import type { Manifest, ManifestOwner } from '../plan/types.js';
import { SafetyError } from '../shared/errors.js';

/** Who deploys and from which commit: checked against every manifest an apply reads. */
export interface DeployClaims {
  /** Recorded in the manifest; a manifest owned by another source is refused. */
  owner?: ManifestOwner;
  /**
   * Git ancestry for ordered deploys: true when `ancestor` is `commit` or one of its
   * ancestors, false when not or when either commit is unknown here. A failure of git itself
   * is thrown (and stops the deploy with its own message, not a claim about the commits).
   */
  isAncestor?: (ancestor: string, commit: string) => Promise<boolean>;
  /** Deploy even when the target holds a commit this one does not descend from (a deliberate rollback). */
  forceCommit?: boolean;
}

/**
 * Refuses (SafetyError, never retried) to apply `commit` over `manifest` when the manifest
 * belongs to another source (repo, folder, environment), or when it records a deployed commit
 * that `commit` does not descend from: a slow replica, a retry or a stale CI job would
 * otherwise roll back a newer deploy. A manifest without an owner (written before owners
 * were recorded) is claimed by the next apply.
 */
export async function checkClaims(
  manifest: Manifest,
  commit: string,
  location: string,
  claims: DeployClaims,
): Promise<void> {
  const mine = claims.owner;
  const theirs = manifest.owner;
  if (mine && theirs && !sameOwner(mine, theirs)) {
    throw new SafetyError(
      `refusing to deploy to ${location}: it is owned by ${describeOwner(theirs)}, not by ${describeOwner(mine)}`,
      'foreign-owner',
      'give each config repo, folder and environment its own prefix (e.g. s3://BUCKET/dags/<env>); ' +
        'to hand the prefix over, delete its .backtest-gitops/manifest.json and re-apply with --adopt',
    );
  }
  const deployed = manifest.commit;
  if (!claims.isAncestor || claims.forceCommit || deployed === commit) return;
  if (await claims.isAncestor(deployed, commit)) return;
  if (await claims.isAncestor(commit, deployed)) {
    throw new SafetyError(
      `refusing to deploy ${commit} to ${location}: the newer ${deployed} is already deployed there (it descends from ${shortSha(commit)}); deploying would roll it back`,
      'superseded',
      'deploy the branch head (fetch first); re-run with --force-commit only for a deliberate rollback',
    );
  }
  throw new SafetyError(
    `refusing to deploy ${commit} to ${location}: it has ${deployed} deployed, and ${shortSha(commit)} does not descend from ${shortSha(deployed)} ` +
      '(a newer or unrelated commit is live; deploying would roll it back)',
    'not-descendant',
    'deploy the branch head (fetch first), or roll back by pushing a revert commit; ' +
      're-run with --force-commit only for a deliberate rollback to this commit',
  );
}

export function sameOwner(a: ManifestOwner, b: ManifestOwner): boolean {
  return (
    a.repo === b.repo && normalisePath(a.path) === normalisePath(b.path) && a.environment === b.environment
  );
}

export function describeOwner(o: ManifestOwner): string {
  const path = normalisePath(o.path);
  return `${o.repo}${path === '.' ? '' : ` (folder ${path})`}${o.environment ? ` environment ${o.environment}` : ''}`;
}

function normalisePath(p: string): string {
  const trimmed = p.replace(/^\.\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? '.' : trimmed;
}

function shortSha(s: string): string {
  return /^[0-9a-f]{40,64}$/.test(s) ? s.slice(0, 12) : s;
}

/**
 * A repository URL in one spelling for every way of writing it, so the CLI in CI
 * (`git@github.com:org/repo.git`) and the controller (`https://github.com/org/repo`) agree:
 * no scheme, no user or token, no `.git`, host in lower case.
 */
export function normaliseRepoUrl(url: string): string {
  let u = url.trim();
  if (u.startsWith('file://') || u.startsWith('/')) return u.startsWith('/') ? `file://${u}` : u;
  const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/)(.*)$/.exec(u);
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) u = `${scp[1]}/${scp[2]}`;
  u = u.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/^[^@/]*@/, '');
  const slash = u.indexOf('/');
  const host = (slash < 0 ? u : u.slice(0, slash)).toLowerCase().replace(/:(22|443|80)$/, '');
  const path = slash < 0 ? '' : u.slice(slash);
  return `${host}${path}`.replace(/\/+$/, '').replace(/\.git$/, '');
}
