import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { routeRequest } from './routes.js';
import { GitHubState } from './state.js';

/** One request the server answered, for assertions and the contract test. */
export interface RecordedExchange {
  method: string;
  path: string;
  /** OpenAPI path template, e.g. `/repos/{owner}/{repo}/pulls`. */
  route: string | null;
  status: number;
  body: unknown;
  /** Rate-limit points it cost (0 for 304s and /rate_limit). */
  cost: number;
}

/** A failure the server returns instead of handling matching requests, `times` times. */
export interface FaultSpec {
  method?: string;
  path?: RegExp;
  status: number;
  times: number;
  /** Seconds, sent as `retry-after`. */
  retryAfter?: number;
  /** 403 with GitHub's "secondary rate limit" message. */
  secondary?: boolean;
  /** 403 "API rate limit exceeded" with x-ratelimit-remaining 0, resetting in this many seconds. */
  primaryResetIn?: number;
}

export interface GitHubServerOptions {
  owner?: string;
  repo?: string;
  defaultBranch?: string;
  /** Personal token the server accepts. */
  token?: string;
  /** Quota per window (x-ratelimit-limit). */
  rateLimit?: number;
}

export interface GitHubServer {
  /** API base URL for Octokit's `baseUrl`. */
  baseUrl: string;
  /** Web base for html_url links. */
  webUrl: string;
  token: string;
  owner: string;
  repo: string;
  state: GitHubState;
  exchanges: RecordedExchange[];
  injectFault(fault: FaultSpec): void;
  /** Requests that changed state (POST/PATCH/PUT/DELETE) among those recorded. */
  writes(): RecordedExchange[];
  clearLog(): void;
  stop(): Promise<void>;
}

/**
 * A local, stateful stand-in for the GitHub REST API (the endpoints the controller uses),
 * with rate-limit headers, ETags and 304s that cost nothing, and fault injection. Driven
 * only through the real Octokit client in tests; its bodies are contract-checked against
 * GitHub's OpenAPI description.
 */
export async function startGitHubServer(opts: GitHubServerOptions = {}): Promise<GitHubServer> {
  const token = opts.token ?? 'ghp_localTestToken0123456789abcdefABCDEF';
  const exchanges: RecordedExchange[] = [];
  const faults: FaultSpec[] = [];
  let state: GitHubState | null = null;
  const quota = { limit: opts.rateLimit ?? 5000, used: 0, reset: Math.floor(Date.now() / 1000) + 3600 };

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `server bug: ${String(err)}` }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const st = state as GitHubState;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const record = (status: number, body: unknown, route: string | null, cost: number) =>
      exchanges.push({ method, path: url.pathname + url.search, route, status, body, cost });
    const headers = (cost: number): Record<string, string> => {
      quota.used += cost;
      return {
        'content-type': 'application/json; charset=utf-8',
        'x-ratelimit-limit': String(quota.limit),
        'x-ratelimit-remaining': String(Math.max(0, quota.limit - quota.used)),
        'x-ratelimit-used': String(quota.used),
        'x-ratelimit-reset': String(quota.reset),
        'x-ratelimit-resource': 'core',
        'x-github-api-version-selected': '2022-11-28',
      };
    };

    const fault = faults.find(
      (f) => (!f.method || f.method === method) && (!f.path || f.path.test(url.pathname)),
    );
    if (fault) {
      fault.times -= 1;
      if (fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
      const body =
        fault.primaryResetIn !== undefined
          ? {
              message:
                'API rate limit exceeded for installation. If you reach out to GitHub Support for help, please include the request ID.',
              documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
            }
          : fault.secondary
            ? {
                message:
                  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
                documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
              }
            : { message: `injected fault ${fault.status}` };
      const h = headers(0);
      if (fault.retryAfter !== undefined) h['retry-after'] = String(fault.retryAfter);
      if (fault.primaryResetIn !== undefined) {
        h['x-ratelimit-remaining'] = '0';
        h['x-ratelimit-reset'] = String(Math.floor(Date.now() / 1000) + fault.primaryResetIn);
      }
      res.writeHead(fault.status, h).end(JSON.stringify(body));
      record(fault.status, body, null, 0);
      return;
    }

    const auth = req.headers.authorization ?? '';
    const result = routeRequest(st, { method, url, body: raw, auth, token });
    const free =
      result.route === '/rate_limit' || result.route === '/app/installations/{installation_id}/access_tokens';
    if (result.status === 200 && method === 'GET') {
      const etag = `W/"${createHash('sha1').update(JSON.stringify(result.body)).digest('hex')}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { ...headers(0), etag }).end();
        record(304, null, result.route, 0);
        return;
      }
      const cost = free ? 0 : 1;
      res.writeHead(200, { ...headers(cost), etag, ...(result.link ? { link: result.link } : {}) });
      res.end(JSON.stringify(result.body));
      record(200, result.body, result.route, cost);
      return;
    }
    const cost = free || result.status === 401 ? 0 : 1;
    res.writeHead(result.status, headers(cost));
    res.end(result.status === 204 ? undefined : JSON.stringify(result.body));
    record(result.status, result.body, result.route, cost);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}/api/v3`;
  const webUrl = `http://127.0.0.1:${port}`;
  state = new GitHubState(
    { api: baseUrl, web: webUrl },
    opts.owner ?? 'quant',
    opts.repo ?? 'backtests',
    opts.defaultBranch ?? 'main',
  );
  state.quota = quota;
  const st = state;
  return {
    baseUrl,
    webUrl,
    token,
    owner: st.repoObj.owner.login,
    repo: st.repoObj.name,
    state: st,
    exchanges,
    injectFault: (fault) => faults.push({ ...fault }),
    writes: () =>
      exchanges.filter(
        (e) => e.method !== 'GET' && e.method !== 'HEAD' && e.route !== null && !e.route.startsWith('/app/'),
      ),
    clearLog: () => {
      exchanges.length = 0;
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
