import type { GitHubClient } from './octokit-client.js';

/**
 * GETs with `If-None-Match`: GitHub answers 304 for unchanged resources, and a 304 does not
 * count against the rate limit, so an idle poll costs no quota. Octokit surfaces 304 as an
 * error with status 304; we answer it from the cached body.
 */
export class ConditionalGetCache {
  private readonly entries = new Map<string, { etag: string; data: unknown }>();

  constructor(
    private readonly octokit: GitHubClient,
    private readonly maxEntries = 2000,
  ) {}

  async get<T>(route: string, params: Record<string, string | number>): Promise<T> {
    const key = `${route} ${JSON.stringify(params)}`;
    const cached = this.entries.get(key);
    try {
      const res = await this.octokit.request(route, {
        ...params,
        headers: cached ? { 'if-none-match': cached.etag } : {},
      });
      const etag = res.headers.etag;
      if (etag) this.remember(key, etag, res.data);
      return res.data as T;
    } catch (err) {
      if ((err as { status?: number }).status === 304 && cached) return cached.data as T;
      throw err;
    }
  }

  /** Forgets cached bodies whose key contains `fragment` (after our own writes to them). */
  invalidate(fragment: string): void {
    for (const key of this.entries.keys()) if (key.includes(fragment)) this.entries.delete(key);
  }

  private remember(key: string, etag: string, data: unknown): void {
    this.entries.delete(key);
    this.entries.set(key, { etag, data });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
