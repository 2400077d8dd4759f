import type { ConfigIssue } from '../config/types.js';
import type { SyncPlan } from '../plan/types.js';

/** Where a PR's files can be viewed on the web, for `file:line` links. */
export interface RepoLinks {
  /** `https://github.com` or a GitHub Enterprise host. */
  webUrl: string;
  owner: string;
  repo: string;
}

/**
 * The outcome of checking one commit's configs against what is deployed: the input of the
 * PR comment, the commit status, the check run and `backtestctl pr check`. Plain data.
 */
export interface ValidationReport {
  /** Commit whose configs were checked (the PR head). */
  headSha: string;
  /** Commit deployed now (the plan's baseline), when known. */
  baseSha: string | null;
  /** No error-severity issues. */
  valid: boolean;
  issues: ConfigIssue[];
  /** The plan against the deployed manifest; null when rendering or planning failed. */
  plan: SyncPlan | null;
  /** Rendered content of created files (key → content), shown for new DAGs. */
  created?: Record<string, string>;
  /** A failure that stopped the check before planning (render error, ...). */
  failure?: string | null;
  links: RepoLinks | null;
  /**
   * When set, the configs checked are the head's changes applied onto this default-branch
   * commit (what merging would deploy), not the head tree alone.
   */
  mergedOnto?: string;
  /** The PR comes from a fork: validated only, nothing executed. */
  fromFork?: boolean;
}
