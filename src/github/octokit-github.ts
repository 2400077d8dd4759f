import { GitHubApiError } from '../shared/errors.js';
import { ConditionalGetCache } from './conditional-get.js';
import type { GitHubClient, GitHubTraffic } from './octokit-client.js';
import { isStickyComment, withStickyMarker } from './sticky-marker.js';
import { type Permission, translateGitHubError } from './translate-error.js';
import type {
  CheckRunInput,
  CommitState,
  GitHubPort,
  PullRequestInfo,
  RateLimitFigure,
  RepoRef,
  StickyComment,
  UpsertOutcome,
} from './types.js';

const PER_PAGE = 100;
/** GitHub accepts at most 50 annotations per check-run request. */
const ANNOTATIONS_PER_REQUEST = 50;

interface ApiPull {
  number: number;
  state: string;
  merged_at: string | null;
  title: string;
  html_url: string;
  user?: { login: string } | null;
  head: { sha: string; ref: string; repo: { full_name: string } | null };
  base: { ref: string; repo: { full_name: string } };
}

interface ApiComment {
  id: number;
  body?: string;
  user: { login: string } | null;
}

interface ApiStatus {
  context: string;
  state: string;
  description: string | null;
  target_url: string | null;
}

/** GitHubPort over the REST API for one repository. */
export class OctokitGitHub implements GitHubPort {
  private readonly cache: ConditionalGetCache;
  private readonly statusCache = new Map<string, string>();
  private login: Promise<string> | null = null;

  /**
   * `identify` names the account our writes appear under; by default the token's user
   * (`GET /user`); connectGitHub passes `appBotLogin` for an App.
   */
  constructor(
    private readonly octokit: GitHubClient,
    private readonly traffic: GitHubTraffic,
    readonly repoRef: RepoRef,
    readonly canCreateCheckRuns: boolean,
    private readonly secrets: readonly string[] = [],
    private readonly identify: (octokit: GitHubClient) => Promise<string> = tokenUserLogin,
  ) {
    this.cache = new ConditionalGetCache(octokit);
  }

  /**
   * The login our comments are authored by, learned once (and again after a failure).
   * Only comments by this login are ever read as ours: markers copied into anyone else's
   * comment mean nothing.
   */
  botLogin(): Promise<string> {
    this.login ??= this.call('find out which account the controller writes as', undefined, () =>
      this.identify(this.octokit),
    ).catch((err: unknown) => {
      this.login = null;
      throw identityError(err);
    });
    return this.login;
  }

  private get o() {
    return { owner: this.repoRef.owner, repo: this.repoRef.repo };
  }

  async listOpenPulls(): Promise<PullRequestInfo[]> {
    return this.call('list pull requests', 'pull_requests:read', async () => {
      const pulls: PullRequestInfo[] = [];
      for (let page = 1; ; page += 1) {
        const batch = await this.cache.get<ApiPull[]>('GET /repos/{owner}/{repo}/pulls', {
          ...this.o,
          state: 'open',
          per_page: PER_PAGE,
          page,
        });
        pulls.push(...batch.map(toPullInfo));
        if (batch.length < PER_PAGE) return pulls;
      }
    });
  }

  async getPull(pr: number): Promise<PullRequestInfo> {
    return this.call(`read pull request #${pr}`, 'pull_requests:read', async () =>
      toPullInfo(
        await this.cache.get<ApiPull>('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
          ...this.o,
          pull_number: pr,
        }),
      ),
    );
  }

  async findStickyComment(pr: number): Promise<StickyComment | null> {
    return this.findComment(pr, isStickyComment);
  }

  async findCommentContaining(pr: number, marker: string): Promise<StickyComment | null> {
    return this.findComment(pr, (body) => typeof body === 'string' && body.includes(marker));
  }

  private async findComment(
    pr: number,
    matches: (body: string | undefined) => boolean,
  ): Promise<StickyComment | null> {
    const login = await this.botLogin();
    return this.call(`list comments of #${pr}`, 'pull_requests:read', async () => {
      for (let page = 1; ; page += 1) {
        const batch = await this.cache.get<ApiComment[]>(
          'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
          {
            ...this.o,
            issue_number: pr,
            per_page: PER_PAGE,
            page,
          },
        );
        const found = batch.find((c) => c.user?.login === login && matches(c.body));
        if (found) return { id: found.id, body: found.body ?? '' };
        if (batch.length < PER_PAGE) return null;
      }
    });
  }

  async upsertStickyComment(pr: number, body: string): Promise<UpsertOutcome> {
    const full = withStickyMarker(body);
    const existing = await this.findStickyComment(pr);
    if (existing && existing.body === full) return 'unchanged';
    return this.call(`write the comment on #${pr}`, 'issues:write', async () => {
      if (existing) {
        try {
          await this.octokit.rest.issues.updateComment({ ...this.o, comment_id: existing.id, body: full });
          return 'updated';
        } catch (err) {
          if ((err as { status?: number }).status !== 404) throw err; // deleted since we listed
        }
      }
      await this.octokit.rest.issues.createComment({ ...this.o, issue_number: pr, body: full });
      return 'created';
    });
  }

  /**
   * One comment per PR found by `marker` among our own comments (by author, not by marker
   * alone), edited in place. `knownId` (remembered from the last write) skips the search; a
   * comment deleted since is found missing and written anew.
   */
  async upsertMarkedComment(
    pr: number,
    marker: string,
    body: string,
    knownId?: number | null,
  ): Promise<{ outcome: UpsertOutcome; id: number }> {
    const full = body.includes(marker) ? body : `${marker}\n${body}`;
    if (knownId) {
      const updated = await this.call(`update the comment on #${pr}`, 'issues:write', async () => {
        try {
          await this.octokit.rest.issues.updateComment({ ...this.o, comment_id: knownId, body: full });
          return true;
        } catch (err) {
          if ((err as { status?: number }).status !== 404) throw err;
          return false;
        }
      });
      if (updated) return { outcome: 'updated', id: knownId };
    }
    const existing = await this.findCommentContaining(pr, marker);
    if (existing && existing.body === full) return { outcome: 'unchanged', id: existing.id };
    return this.call(`write the comment on #${pr}`, 'issues:write', async () => {
      if (existing) {
        await this.octokit.rest.issues.updateComment({ ...this.o, comment_id: existing.id, body: full });
        return { outcome: 'updated' as const, id: existing.id };
      }
      const created = await this.octokit.rest.issues.createComment({
        ...this.o,
        issue_number: pr,
        body: full,
      });
      return { outcome: 'created' as const, id: created.data.id };
    });
  }

  async setStatus(sha: string, context: string, state: CommitState, description: string, targetUrl?: string) {
    const wanted = JSON.stringify([state, description, targetUrl ?? null]);
    const key = `${sha} ${context}`;
    if (this.statusCache.get(key) === wanted) return false;
    return this.call(`set status ${context} on ${sha.slice(0, 7)}`, 'statuses:write', async () => {
      const statuses = await this.cache.get<ApiStatus[]>('GET /repos/{owner}/{repo}/commits/{ref}/statuses', {
        ...this.o,
        ref: sha,
        per_page: PER_PAGE,
      });
      const latest = statuses.find((s) => s.context === context); // newest first
      if (latest && JSON.stringify([latest.state, latest.description, latest.target_url]) === wanted) {
        this.rememberStatus(key, wanted);
        return false;
      }
      await this.octokit.rest.repos.createCommitStatus({
        ...this.o,
        sha,
        context,
        state,
        description: description.slice(0, 140),
        ...(targetUrl ? { target_url: targetUrl } : {}),
      });
      this.rememberStatus(key, wanted);
      return true;
    });
  }

  async createCheckRun(input: CheckRunInput): Promise<void> {
    if (!this.canCreateCheckRuns) return;
    await this.call(`create check run ${input.name}`, 'checks:write', async () => {
      const chunks: CheckRunInput['annotations'][] = [];
      for (let i = 0; i < input.annotations.length; i += ANNOTATIONS_PER_REQUEST) {
        chunks.push(input.annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
      }
      const output = (annotations: CheckRunInput['annotations']) => ({
        title: input.title,
        summary: input.summary.slice(0, 65_535),
        annotations,
      });
      const created = await this.octokit.rest.checks.create({
        ...this.o,
        name: input.name,
        head_sha: input.headSha,
        status: 'completed',
        conclusion: input.conclusion,
        ...(input.detailsUrl ? { details_url: input.detailsUrl } : {}),
        output: output(chunks[0] ?? []),
      });
      for (const chunk of chunks.slice(1)) {
        await this.octokit.rest.checks.update({
          ...this.o,
          check_run_id: created.data.id,
          output: output(chunk),
        });
      }
    });
  }

  async pullsForCommit(sha: string): Promise<PullRequestInfo[]> {
    return this.call(`find the pull request of ${sha.slice(0, 7)}`, 'pull_requests:read', async () => {
      const res = await this.octokit.rest.repos.listPullRequestsAssociatedWithCommit({
        ...this.o,
        commit_sha: sha,
      });
      return (res.data as unknown as ApiPull[]).map(toPullInfo);
    });
  }

  async commentOnPull(pr: number, body: string): Promise<void> {
    await this.call(`comment on #${pr}`, 'issues:write', async () => {
      await this.octokit.rest.issues.createComment({ ...this.o, issue_number: pr, body });
    });
  }

  async rateLimit(): Promise<RateLimitFigure> {
    if (this.traffic.lastRateLimit) return this.traffic.lastRateLimit;
    return this.call('read the rate limit', undefined, async () => {
      const res = await this.octokit.rest.rateLimit.get(); // free: does not count against the limit
      const core = res.data.resources.core;
      return {
        limit: core.limit,
        remaining: core.remaining,
        used: core.used,
        reset: core.reset,
        resource: 'core',
      };
    });
  }

  /** Bounded: statuses of old commits are never asked about again. */
  private rememberStatus(key: string, value: string): void {
    this.statusCache.delete(key);
    this.statusCache.set(key, value);
    if (this.statusCache.size > 5000) {
      const oldest = this.statusCache.keys().next().value;
      if (oldest !== undefined) this.statusCache.delete(oldest);
    }
  }

  private async call<T>(what: string, permission: Permission | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw translateGitHubError(err, what, {
        repo: `${this.repoRef.owner}/${this.repoRef.repo}`,
        ...(permission ? { permission } : {}),
        secrets: this.secrets,
      });
    }
  }
}

/** GET /user refused (403) is a token that belongs to no user: say what to use instead. */
function identityError(err: unknown): unknown {
  if (!(err instanceof GitHubApiError) || err.status !== 403 || /rate limit/i.test(err.message)) return err;
  return new GitHubApiError(err.message, 403, {
    hint: "this token belongs to no user (e.g. an App installation token such as Actions' GITHUB_TOKEN), so the controller cannot tell its own comments from others': use a personal or machine-user token, or configure github.app",
    cause: err,
  });
}

/** A personal token's account: `GET /user`. */
export async function tokenUserLogin(octokit: GitHubClient): Promise<string> {
  return (await octokit.request('GET /user')).data.login;
}

/** An App writes as `<slug>[bot]`; `GET /app` (JWT-authenticated) names the slug. */
export async function appBotLogin(octokit: GitHubClient): Promise<string> {
  const app = (await octokit.request('GET /app')).data as { slug?: string } | null;
  if (!app?.slug) throw new Error('GET /app did not name the App (no slug)');
  return `${app.slug}[bot]`;
}

function toPullInfo(p: ApiPull): PullRequestInfo {
  return {
    number: p.number,
    state: p.state === 'open' ? 'open' : 'closed',
    merged: p.merged_at !== null && p.merged_at !== undefined,
    headSha: p.head.sha,
    headRef: p.head.ref,
    baseRef: p.base.ref,
    fromFork: (p.head.repo?.full_name ?? '') !== p.base.repo.full_name,
    title: p.title,
    htmlUrl: p.html_url,
    ...(p.user?.login ? { author: p.user.login } : {}),
  };
}
