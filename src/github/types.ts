/**
 * The narrow GitHub port the controller's PR and deploy workflows use, named for our
 * needs. `OctokitGitHub` implements it over the REST API; unit tests use in-memory fakes.
 */

export interface RepoRef {
  owner: string;
  repo: string;
  /** Web base for links, e.g. `https://github.com` or `https://ghe.example.com`. */
  webUrl: string;
}

export interface PullRequestInfo {
  number: number;
  state: 'open' | 'closed';
  merged: boolean;
  headSha: string;
  headRef: string;
  baseRef: string;
  /** Head branch lives in another repository; validated, never executed or deployed. */
  fromFork: boolean;
  title: string;
  htmlUrl: string;
  /** Login of the PR's author (the results follower mentions them once all runs are done). */
  author?: string;
}

export interface StickyComment {
  id: number;
  body: string;
}

export type CommitState = 'success' | 'failure' | 'pending' | 'error';

export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  message: string;
  title?: string;
}

export interface CheckRunInput {
  name: string;
  headSha: string;
  conclusion: 'success' | 'failure' | 'neutral';
  title: string;
  summary: string;
  annotations: CheckAnnotation[];
  detailsUrl?: string;
}

/** The remaining API quota as last seen in response headers (x-ratelimit-*). */
export interface RateLimitFigure {
  limit: number;
  remaining: number;
  used: number;
  /** Unix seconds when the window resets. */
  reset: number;
  resource: string;
}

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

export interface GitHubPort {
  readonly repoRef: RepoRef;
  /** Check runs need a GitHub App installation token. */
  readonly canCreateCheckRuns: boolean;
  /**
   * The login the controller's comments are authored by (learned from GitHub once). Only
   * comments by it are treated as ours by findStickyComment / findCommentContaining.
   */
  botLogin(): Promise<string>;
  listOpenPulls(): Promise<PullRequestInfo[]>;
  getPull(pr: number): Promise<PullRequestInfo>;
  /** Our sticky comment: the first comment by botLogin() carrying the sticky marker. */
  findStickyComment(pr: number): Promise<StickyComment | null>;
  /** Our first comment on the PR whose body contains `marker` (for idempotent one-off reports). */
  findCommentContaining(pr: number, marker: string): Promise<StickyComment | null>;
  /** One comment per PR, found by a hidden marker; edited only when its body changes. */
  upsertStickyComment(pr: number, body: string): Promise<UpsertOutcome>;
  /** Skipped (returns false) when the same state/description is already set. */
  setStatus(
    sha: string,
    context: string,
    state: CommitState,
    description: string,
    targetUrl?: string,
  ): Promise<boolean>;
  createCheckRun(input: CheckRunInput): Promise<void>;
  pullsForCommit(sha: string): Promise<PullRequestInfo[]>;
  commentOnPull(pr: number, body: string): Promise<void>;
  rateLimit(): Promise<RateLimitFigure>;
}
