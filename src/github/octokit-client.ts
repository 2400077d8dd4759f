import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { redact } from '../shared/redact.js';

export type GitHubAuth =
  | { kind: 'token'; token: string }
  | { kind: 'app'; appId: number | string; privateKey: string; installationId: number };

export interface GitHubLog {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface GitHubClientOptions {
  auth: GitHubAuth;
  /** API base; `https://ghe.example.com/api/v3` for GitHub Enterprise Server. */
  baseUrl?: string;
  userAgent?: string;
  log?: GitHubLog;
  /** Milliseconds per `retry-after` second (1000 = honour it exactly; tests may shrink it). */
  retryAfterUnitMs?: number;
  /** Base delay of the 5xx retry backoff (retry n waits n² × this). */
  retryBaseMs?: number;
  retries?: number;
  /**
   * Longest `retry-after` (seconds) worth waiting inside one reconcile; a longer wait (the
   * primary quota resetting in half an hour) fails the call instead and the next poll retries.
   */
  maxRetryAfterSeconds?: number;
  /**
   * Space writes 1 s apart and notifying writes 3 s apart, as GitHub asks to avoid secondary
   * limits (the throttling plugin's default). Tests against the local server turn it off.
   */
  spaceWrites?: boolean;
}

/** Request counters and the last quota headers, updated for every response. */
export interface GitHubTraffic {
  /** API calls made (a call retried by the plugins counts once). */
  requests: number;
  writes: number;
  /** Conditional GETs answered 304 (free of rate limit). */
  notModified: number;
  /** Waits for a primary or secondary rate limit before retrying. */
  throttled: number;
  lastRateLimit: { limit: number; remaining: number; used: number; reset: number; resource: string } | null;
}

const ThrottledOctokit = Octokit.plugin(throttling, retry);
export type GitHubClient = InstanceType<typeof ThrottledOctokit>;

/** Builds the one Octokit instance a controller uses (token or App auth, throttled, retried). */
export function createGitHubClient(opts: GitHubClientOptions): {
  octokit: GitHubClient;
  traffic: GitHubTraffic;
} {
  const secrets = opts.auth.kind === 'token' ? [opts.auth.token] : [opts.auth.privateKey];
  const log = redactingLog(opts.log ?? silentLog, secrets);
  const unit = opts.retryAfterUnitMs ?? 1000;
  const maxRetries = opts.retries ?? 3;
  const maxWait = opts.maxRetryAfterSeconds ?? 60;
  const onLimit =
    (what: string, whyGiveUp: (seconds: number) => string) =>
    (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
      const retry = retryCount < maxRetries && retryAfter <= maxWait;
      log.warn(
        `GitHub ${what} on ${options.method} ${options.url}; ${retry ? `retrying in ${retryAfter}s` : `${whyGiveUp(retryAfter)}, giving up for now`}`,
      );
      if (retry) traffic.throttled += 1;
      return retry;
    };
  const passthrough = { key: () => ({ schedule: (_o: unknown, fn: () => Promise<void>) => fn() }) };
  const traffic: GitHubTraffic = {
    requests: 0,
    writes: 0,
    notModified: 0,
    throttled: 0,
    lastRateLimit: null,
  };
  const octokit = new ThrottledOctokit({
    ...(opts.auth.kind === 'token'
      ? { auth: opts.auth.token }
      : {
          authStrategy: createAppAuth,
          auth: {
            appId: opts.auth.appId,
            privateKey: opts.auth.privateKey,
            installationId: opts.auth.installationId,
          },
        }),
    ...(opts.baseUrl ? { baseUrl: opts.baseUrl.replace(/\/+$/, '') } : {}),
    userAgent: opts.userAgent ?? 'backtest-gitops',
    log,
    retry: { retries: maxRetries, retryAfterBaseValue: opts.retryBaseMs ?? 1000 },
    // Cast: the plugin types its handlers as returning void, but the boolean decides the retry,
    // and our pass-through limiter is duck-typed to the Bottleneck.Group calls the plugin makes.
    // Both limits: retry while the wait is short and retries remain, else give up until the
    // next poll (a reconcile must not block for the whole quota window).
    throttle: {
      retryAfterBaseValue: unit,
      ...(opts.spaceWrites === false ? { write: passthrough, notifications: passthrough } : {}),
      onRateLimit: onLimit('rate limit hit', (s) => `quota resets in ${s}s`),
      onSecondaryRateLimit: onLimit('secondary rate limit', (s) => `retry-after ${s}s is too long`),
    } as never,
  });
  octokit.hook.wrap('request', async (request, options) => {
    traffic.requests += 1;
    if (options.method !== 'GET' && options.method !== 'HEAD') traffic.writes += 1;
    try {
      const response = await request(options);
      recordQuota(traffic, response.headers);
      return response;
    } catch (err) {
      const res = (err as { status?: number; response?: { headers?: Record<string, unknown> } }).response;
      if (res?.headers) recordQuota(traffic, res.headers);
      if ((err as { status?: number }).status === 304) traffic.notModified += 1;
      throw err;
    }
  });
  return { octokit, traffic };
}

function recordQuota(traffic: GitHubTraffic, headers: Record<string, unknown>): void {
  const remaining = headers['x-ratelimit-remaining'];
  if (remaining === undefined) return;
  traffic.lastRateLimit = {
    limit: Number(headers['x-ratelimit-limit'] ?? 0),
    remaining: Number(remaining),
    used: Number(headers['x-ratelimit-used'] ?? 0),
    reset: Number(headers['x-ratelimit-reset'] ?? 0),
    resource: String(headers['x-ratelimit-resource'] ?? 'core'),
  };
}

const silentLog: GitHubLog = { debug() {}, info() {}, warn() {}, error() {} };

/** Octokit's request-log line for an answered request: `GET /path - 304 with id X in 3ms`. */
const REQUEST_LINE = / - (\d{3}|undefined) with id /;

function redactingLog(log: GitHubLog, secrets: string[]): GitHubLog {
  return {
    debug: (m) => log.debug(redact(String(m), secrets)),
    // Octokit logs every request at info; at our info level that is noise on each poll.
    info: (m) => (REQUEST_LINE.test(String(m)) ? log.debug : log.info)(redact(String(m), secrets)),
    warn: (m) => log.warn(redact(String(m), secrets)),
    // A 304 is a free, successful conditional GET, not an error; real failures are
    // translated into GitHubApiError and logged by the caller with their context.
    error: (m) => (REQUEST_LINE.test(String(m)) ? log.debug : log.error)(redact(String(m), secrets)),
  };
}
