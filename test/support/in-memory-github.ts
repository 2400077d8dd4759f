import { isStickyComment, withStickyMarker } from '../../src/github/sticky-marker.js';
import type {
  CheckRunInput,
  CommitState,
  GitHubPort,
  PullRequestInfo,
  RateLimitFigure,
  RepoRef,
  StickyComment,
  UpsertOutcome,
} from '../../src/github/types.js';

/**
 * An in-memory GitHubPort for unit tests of the workflows (a fake of OUR port, not of
 * Octokit). Records every write so tests can count them.
 */
export class InMemoryGitHub implements GitHubPort {
  readonly repoRef: RepoRef = { owner: 'quant', repo: 'backtests', webUrl: 'https://github.com' };
  readonly pulls = new Map<number, PullRequestInfo>();
  /** Comments per PR; `author` absent = written by the bot (through this port). */
  readonly comments = new Map<number, { id: number; body: string; author?: string }[]>();
  readonly statuses: { sha: string; context: string; state: CommitState; description: string }[] = [];
  readonly checkRuns: CheckRunInput[] = [];
  readonly writes: string[] = [];
  /** Commit SHA → PR numbers associated with it (merge commits). */
  readonly commitPulls = new Map<string, number[]>();
  /** Called before getPull answers: lets a test move a head "while we were checking". */
  onGetPull: ((pr: number) => void) | null = null;
  private nextId = 1;

  constructor(
    readonly canCreateCheckRuns = false,
    readonly login = 'backtest-gitops[bot]',
  ) {}

  async botLogin(): Promise<string> {
    return this.login;
  }

  /** A comment written by someone else (a researcher, an attacker copying our markers). */
  addForeignComment(pr: number, body: string, author = 'mallory'): void {
    const list = this.comments.get(pr) ?? [];
    list.push({ id: this.nextId++, body, author });
    this.comments.set(pr, list);
  }

  private ours(pr: number) {
    return (this.comments.get(pr) ?? []).filter((c) => (c.author ?? this.login) === this.login);
  }

  open(pr: Partial<PullRequestInfo> & { number: number; headSha: string }): void {
    this.pulls.set(pr.number, {
      state: 'open',
      merged: false,
      headRef: `branch-${pr.number}`,
      baseRef: 'main',
      fromFork: false,
      title: `PR ${pr.number}`,
      htmlUrl: `https://github.com/quant/backtests/pull/${pr.number}`,
      ...pr,
    });
  }

  async listOpenPulls(): Promise<PullRequestInfo[]> {
    return [...this.pulls.values()].filter((p) => p.state === 'open').map((p) => ({ ...p }));
  }

  async getPull(pr: number): Promise<PullRequestInfo> {
    this.onGetPull?.(pr);
    const p = this.pulls.get(pr);
    if (!p) throw new Error(`no PR ${pr}`);
    return { ...p };
  }

  async findStickyComment(pr: number): Promise<StickyComment | null> {
    return this.ours(pr).find((c) => isStickyComment(c.body)) ?? null;
  }

  async findCommentContaining(pr: number, marker: string): Promise<StickyComment | null> {
    return this.ours(pr).find((c) => c.body.includes(marker)) ?? null;
  }

  async upsertStickyComment(pr: number, body: string): Promise<UpsertOutcome> {
    const full = withStickyMarker(body);
    const existing = await this.findStickyComment(pr);
    if (existing?.body === full) return 'unchanged';
    if (existing) {
      existing.body = full;
      this.writes.push(`update-comment #${pr}`);
      return 'updated';
    }
    await this.commentOnPull(pr, full);
    return 'created';
  }

  async setStatus(sha: string, context: string, state: CommitState, description: string): Promise<boolean> {
    const last = [...this.statuses].reverse().find((s) => s.sha === sha && s.context === context);
    if (last && last.state === state && last.description === description) return false;
    this.statuses.push({ sha, context, state, description });
    this.writes.push(`status ${context} ${state}`);
    return true;
  }

  async createCheckRun(input: CheckRunInput): Promise<void> {
    this.checkRuns.push(input);
    this.writes.push(`check-run ${input.name}`);
  }

  async pullsForCommit(sha: string): Promise<PullRequestInfo[]> {
    return (this.commitPulls.get(sha) ?? [])
      .map((n) => this.pulls.get(n))
      .filter((p): p is PullRequestInfo => !!p);
  }

  async commentOnPull(pr: number, body: string): Promise<void> {
    const list = this.comments.get(pr) ?? [];
    list.push({ id: this.nextId++, body });
    this.comments.set(pr, list);
    this.writes.push(`create-comment #${pr}`);
  }

  async rateLimit(): Promise<RateLimitFigure> {
    return { limit: 5000, remaining: 5000, used: 0, reset: 0, resource: 'core' };
  }
}
