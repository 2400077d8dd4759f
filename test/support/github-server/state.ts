import {
  type CheckRunState,
  type CommentState,
  type PullState,
  type RepoObject,
  repoObject,
  type StatusState,
  type Urls,
  type UserObject,
  userObject,
} from './objects.js';

/** The server's in-memory world: one repository with pulls, comments, statuses, check runs. */
export class GitHubState {
  readonly repoObj: RepoObject;
  /** The App's slug: installation tokens act as `<slug>[bot]`. */
  readonly appSlug = 'backtest-gitops';
  /** Who writes with an installation token: the App's bot account. */
  readonly bot: UserObject;
  /** Who writes with the personal token: a machine user (what `GET /user` answers). */
  readonly tokenUser: UserObject;
  readonly researcher: UserObject;
  readonly pulls = new Map<number, PullState>();
  readonly comments: CommentState[] = [];
  readonly statuses: StatusState[] = [];
  readonly checkRuns: CheckRunState[] = [];
  /** Installation tokens handed out to the App (accepted like the personal token). */
  readonly installationTokens = new Set<string>();
  quota = { limit: 5000, used: 0, reset: 0 };
  private nextId = 1000;
  private tick = 0;

  constructor(
    readonly urls: Urls,
    owner: string,
    repo: string,
    readonly defaultBranch: string,
  ) {
    this.repoObj = repoObject(urls, userObject(urls, owner, 1, 'User'), repo, 10, defaultBranch);
    this.bot = userObject(urls, `${this.appSlug}[bot]`, 2, 'Bot');
    this.researcher = userObject(urls, 'researcher', 3, 'User');
    this.tokenUser = userObject(urls, 'backtest-gitops-machine', 4, 'User');
  }

  /** The account behind a presented token: the App's bot for installation tokens, else the token's user. */
  authorFor(auth: string): UserObject {
    const presented = auth.replace(/^(token|bearer)\s+/i, '');
    return this.installationTokens.has(presented) ? this.bot : this.tokenUser;
  }

  id(): number {
    this.nextId += 1;
    return this.nextId;
  }

  /** Monotonic timestamps so ordering is deterministic. */
  now(): string {
    this.tick += 1;
    return new Date(Date.UTC(2026, 0, 1, 0, 0, this.tick)).toISOString().replace('.000Z', 'Z');
  }

  openPull(p: {
    number?: number;
    title?: string;
    headRef: string;
    headSha: string;
    baseSha?: string;
    fork?: boolean;
  }): PullState {
    const number = p.number ?? Math.max(0, ...this.pulls.keys()) + 1;
    const headRepo = p.fork
      ? repoObject(this.urls, this.researcher, this.repoObj.name, 11, this.defaultBranch)
      : this.repoObj;
    const pull: PullState = {
      number,
      id: this.id(),
      title: p.title ?? `Change ${p.headRef}`,
      body: null,
      state: 'open',
      headRef: p.headRef,
      headSha: p.headSha,
      baseRef: this.defaultBranch,
      baseSha: p.baseSha ?? '0'.repeat(40),
      headRepo: p.fork ? { ...headRepo, fork: true } : headRepo,
      user: this.researcher,
      mergedAt: null,
      mergeCommitSha: null,
      createdAt: this.now(),
      updatedAt: this.now(),
    };
    this.pulls.set(number, pull);
    return pull;
  }

  pushPull(number: number, sha: string): void {
    const pull = this.mustPull(number);
    pull.headSha = sha;
    pull.updatedAt = this.now();
  }

  closePull(number: number): void {
    const pull = this.mustPull(number);
    pull.state = 'closed';
    pull.updatedAt = this.now();
  }

  mergePull(number: number, mergeSha: string): void {
    const pull = this.mustPull(number);
    pull.state = 'closed';
    pull.mergedAt = this.now();
    pull.mergeCommitSha = mergeSha;
    pull.updatedAt = pull.mergedAt;
  }

  /** A comment written by a human (not through the API under test). */
  addComment(issue: number, body: string, user: UserObject = this.researcher): CommentState {
    const at = this.now();
    const c: CommentState = { id: this.id(), issue, body, user, createdAt: at, updatedAt: at };
    this.comments.push(c);
    return c;
  }

  deleteComment(id: number): boolean {
    const i = this.comments.findIndex((c) => c.id === id);
    if (i < 0) return false;
    this.comments.splice(i, 1);
    return true;
  }

  commentsOn(issue: number): CommentState[] {
    return this.comments.filter((c) => c.issue === issue);
  }

  statusesFor(sha: string): StatusState[] {
    return this.statuses.filter((s) => s.sha === sha).reverse(); // newest first, like GitHub
  }

  mustPull(number: number): PullState {
    const pull = this.pulls.get(number);
    if (!pull) throw new Error(`no pull #${number}`);
    return pull;
  }
}
