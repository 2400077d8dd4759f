import { createHash } from 'node:crypto';
import { withoutBaseMarker, withStickyMarker } from '../github/sticky-marker.js';
import type { Manifest } from '../plan/types.js';
import { GitError } from '../shared/errors.js';

/**
 * What a PR's report depends on besides its head: the default-branch commit it was merged
 * onto (null when PRs are checked on their own tree) and what is deployed. When this moves
 * (another PR merged, a deploy landed), the report may no longer be true and is re-checked.
 *
 * The deployed part is the manifest's commit plus a digest of its entries, because a partial
 * apply or a drift repair changes what is deployed without changing the commit.
 * Characters are limited to those a hidden HTML comment marker can carry.
 */
export function baseKey(branchSha: string | null, manifest: Manifest | null): string {
  const deployed = manifest ? `${manifest.commit}.${entriesDigest(manifest)}` : 'none';
  return `${branchSha ?? 'none'}/${deployed}`;
}

function entriesDigest(manifest: Manifest): string {
  const hash = createHash('sha256');
  for (const e of manifest.entries)
    hash.update(`${e.key}\0${e.sha256}\0${e.source ?? ''}\0${e.dag_id ?? ''}\0${e.runs}\n`);
  return hash.digest('hex').slice(0, 12);
}

/**
 * What branch-move detection keeps on the caller's PR memory (one per controller): the
 * default-branch SHA the previous round saw. Part of the memory object the caller owns and
 * passes in, so nothing is kept in this module.
 */
export interface BranchMemory {
  lastSeenBranch?: string;
}

export function rememberBranch(memory: BranchMemory, branch: string): void {
  memory.lastSeenBranch = branch;
}

/**
 * The branch moved since the previous round and what is deployed is not it yet: the
 * reconcile deploys right after validating PRs, so a re-check is better made next round.
 * False after a restart (nothing seen yet) and when the deploy already landed.
 */
export function branchJustMoved(
  memory: BranchMemory,
  branch: string | null,
  manifest: Manifest | null,
): boolean {
  const before = memory.lastSeenBranch;
  return branch !== null && before !== undefined && before !== branch && manifest?.commit !== branch;
}

/** The default branch is part of the base only when PRs are checked as merged onto it. */
export function branchReader(repo: {
  readMergedConfigFiles?: unknown;
  defaultBranchSha?(): Promise<string>;
}): (() => Promise<string>) | null {
  const read = repo.defaultBranchSha;
  if (!repo.readMergedConfigFiles || !read) return null;
  return () => read.call(repo); // a method of the repo (GitRepoCache): keep its `this`
}

/** The local default-branch SHA; a cache that was never fetched is fetched once first. */
export async function readBranch(read: () => Promise<string>, sync: () => Promise<void>): Promise<string> {
  try {
    return await read();
  } catch (err) {
    // Only "not known yet" (a GitError from the never-fetched cache) is answered by a fetch.
    if (!(err instanceof GitError)) throw err;
    await sync();
    return read();
  }
}

/** The visible line naming the SHAs a report was checked against (see report/pr-comment.ts). */
const CHECKED_LINE = /^Checked `[^\n]*$/m;

/**
 * Two PR comment bodies say the same thing to the reader apart from which base they name:
 * same head, same verdict, issues, plan and diffs. Re-checking against a moved base that
 * gives such a body writes nothing, so a merge elsewhere does not edit every open PR's comment.
 */
export function sameReport(a: string, b: string): boolean {
  return normalized(a) === normalized(b);
}

function normalized(body: string): string {
  return withoutBaseMarker(withStickyMarker(body)).replace(CHECKED_LINE, '');
}
