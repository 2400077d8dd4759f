import {
  appObject,
  checkRunObject,
  commentObject,
  publicUserObject,
  pullFullObject,
  pullSimpleObject,
  statusObject,
} from './objects.js';
import type { GitHubState } from './state.js';

export interface RouteInput {
  method: string;
  url: URL;
  body: string;
  auth: string;
  token: string;
}

export interface RouteResult {
  status: number;
  body: unknown;
  /** OpenAPI path template answered, or null when nothing matched. */
  route: string | null;
  link?: string;
}

type Handler = (
  st: GitHubState,
  params: Record<string, string>,
  input: RouteInput,
  json: Record<string, unknown>,
) => RouteResult;

const R = '/repos/{owner}/{repo}';

const ROUTES: [string, string, Handler][] = [
  ['GET', '/rate_limit', (st) => ok('/rate_limit', rateLimitBody(st))],
  [
    'GET',
    '/user',
    (st, _p, input) => {
      if (st.authorFor(input.auth) === st.bot) {
        // As on GitHub: an installation token has no user to answer for.
        return {
          status: 403,
          route: '/user',
          body: {
            message: 'Resource not accessible by integration',
            documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user',
            status: '403',
          },
        };
      }
      return ok('/user', publicUserObject(st.tokenUser));
    },
  ],
  ['GET', '/app', (st) => ok('/app', appObject(st.urls, st.repoObj.owner))],
  [
    'POST',
    '/app/installations/{installation_id}/access_tokens',
    (st) => {
      const token = `ghs_installation${st.id()}abcdefghijklmnopqrstuv`;
      st.installationTokens.add(token);
      return {
        status: 201,
        route: '/app/installations/{installation_id}/access_tokens',
        body: {
          token,
          expires_at: '2099-01-01T00:00:00Z',
          permissions: { checks: 'write', statuses: 'write', pull_requests: 'write', contents: 'read' },
          repository_selection: 'selected',
        },
      };
    },
  ],
  [
    'GET',
    `${R}/pulls`,
    (st, _p, input) => {
      const want = input.url.searchParams.get('state') ?? 'open';
      const pulls = [...st.pulls.values()]
        .filter((p) => want === 'all' || p.state === want)
        .sort((a, b) => b.number - a.number)
        .map((p) => pullSimpleObject(st.urls, st.repoObj, p));
      return page(`${R}/pulls`, pulls, input.url);
    },
  ],
  [
    'GET',
    `${R}/pulls/{pull_number}`,
    (st, p) => {
      const pull = st.pulls.get(Number(p.pull_number));
      if (!pull) return notFound(`${R}/pulls/{pull_number}`);
      return ok(
        `${R}/pulls/{pull_number}`,
        pullFullObject(st.urls, st.repoObj, pull, st.commentsOn(pull.number).length),
      );
    },
  ],
  [
    'GET',
    `${R}/issues/{issue_number}/comments`,
    (st, p, input) => {
      if (!st.pulls.has(Number(p.issue_number))) return notFound(`${R}/issues/{issue_number}/comments`);
      const comments = st.commentsOn(Number(p.issue_number)).map((c) => commentObject(st.repoObj, c));
      return page(`${R}/issues/{issue_number}/comments`, comments, input.url);
    },
  ],
  [
    'POST',
    `${R}/issues/{issue_number}/comments`,
    (st, p, input, json) => {
      const route = `${R}/issues/{issue_number}/comments`;
      if (!st.pulls.has(Number(p.issue_number))) return notFound(route);
      if (typeof json.body !== 'string') return invalid(route, 'body is required');
      if (json.body.length > 65_536) return invalid(route, 'Body is too long (maximum is 65536 characters)');
      const c = st.addComment(Number(p.issue_number), json.body, st.authorFor(input.auth));
      return { status: 201, route, body: commentObject(st.repoObj, c) };
    },
  ],
  [
    'PATCH',
    `${R}/issues/comments/{comment_id}`,
    (st, p, _i, json) => {
      const route = `${R}/issues/comments/{comment_id}`;
      const c = st.comments.find((x) => x.id === Number(p.comment_id));
      if (!c) return notFound(route);
      if (typeof json.body !== 'string') return invalid(route, 'body is required');
      if (json.body.length > 65_536) return invalid(route, 'Body is too long (maximum is 65536 characters)');
      c.body = json.body;
      c.updatedAt = st.now();
      return ok(route, commentObject(st.repoObj, c));
    },
  ],
  [
    'DELETE',
    `${R}/issues/comments/{comment_id}`,
    (st, p) => {
      const route = `${R}/issues/comments/{comment_id}`;
      return st.deleteComment(Number(p.comment_id)) ? { status: 204, route, body: null } : notFound(route);
    },
  ],
  [
    'POST',
    `${R}/statuses/{sha}`,
    (st, p, _i, json) => {
      const route = `${R}/statuses/{sha}`;
      const states = ['error', 'failure', 'pending', 'success'];
      if (typeof json.state !== 'string' || !states.includes(json.state))
        return invalid(route, 'state is not included in the list');
      const description = typeof json.description === 'string' ? json.description : null;
      if (description && description.length > 140)
        return invalid(route, 'description is too long (maximum is 140 characters)');
      const s = {
        id: st.id(),
        sha: p.sha ?? '',
        state: json.state as 'success',
        description,
        targetUrl: typeof json.target_url === 'string' ? json.target_url : null,
        context: typeof json.context === 'string' ? json.context : 'default',
        creator: st.bot,
        createdAt: st.now(),
      };
      st.statuses.push(s);
      return { status: 201, route, body: statusObject(st.repoObj, s) };
    },
  ],
  [
    'GET',
    `${R}/commits/{ref}/statuses`,
    (st, p, input) =>
      page(
        `${R}/commits/{ref}/statuses`,
        st.statusesFor(p.ref ?? '').map((s) => statusObject(st.repoObj, s)),
        input.url,
      ),
  ],
  [
    'GET',
    `${R}/commits/{ref}/status`,
    (st, p) => ok(`${R}/commits/{ref}/status`, combinedStatus(st, p.ref ?? '')),
  ],
  [
    'POST',
    `${R}/check-runs`,
    (st, _p, input, json) => {
      const route = `${R}/check-runs`;
      const bearer = input.auth.replace(/^(token|bearer)\s+/i, '');
      if (!st.installationTokens.has(bearer)) {
        return {
          status: 403,
          route,
          body: {
            message: 'Resource not accessible by personal access token',
            documentation_url: 'https://docs.github.com/rest/checks/runs#create-a-check-run',
            status: '403',
          },
        };
      }
      const output = (json.output ?? {}) as { title?: string; summary?: string; annotations?: unknown[] };
      if ((output.annotations?.length ?? 0) > 50) return invalid(route, 'at most 50 annotations per request');
      const c = {
        id: st.id(),
        name: String(json.name),
        headSha: String(json.head_sha),
        status: String(json.status ?? 'queued'),
        conclusion: typeof json.conclusion === 'string' ? json.conclusion : null,
        detailsUrl: typeof json.details_url === 'string' ? json.details_url : null,
        title: output.title ?? null,
        summary: output.summary ?? null,
        annotations: output.annotations ?? [],
        createdAt: st.now(),
      };
      st.checkRuns.push(c);
      return { status: 201, route, body: checkRunObject(st.urls, st.repoObj, c) };
    },
  ],
  [
    'PATCH',
    `${R}/check-runs/{check_run_id}`,
    (st, p, _i, json) => {
      const route = `${R}/check-runs/{check_run_id}`;
      const c = st.checkRuns.find((x) => x.id === Number(p.check_run_id));
      if (!c) return notFound(route);
      const output = (json.output ?? {}) as { annotations?: unknown[] };
      c.annotations.push(...(output.annotations ?? []));
      return ok(route, checkRunObject(st.urls, st.repoObj, c));
    },
  ],
  [
    'GET',
    `${R}/commits/{ref}/check-runs`,
    (st, p) => {
      const runs = st.checkRuns
        .filter((c) => c.headSha === p.ref)
        .map((c) => checkRunObject(st.urls, st.repoObj, c));
      return ok(`${R}/commits/{ref}/check-runs`, { total_count: runs.length, check_runs: runs });
    },
  ],
  [
    'GET',
    `${R}/commits/{commit_sha}/pulls`,
    (st, p) => {
      const sha = p.commit_sha;
      const pulls = [...st.pulls.values()]
        .filter((x) => x.mergeCommitSha === sha || x.headSha === sha)
        .map((x) => pullSimpleObject(st.urls, st.repoObj, x));
      return ok(`${R}/commits/{commit_sha}/pulls`, pulls);
    },
  ],
];

/** Dispatches one request against the state; authentication first, like GitHub. */
export function routeRequest(st: GitHubState, input: RouteInput): RouteResult {
  const path = input.url.pathname.replace(/^\/api\/v3/, '');
  for (const [method, template, handler] of ROUTES) {
    if (method !== input.method) continue;
    const params = match(template, path);
    if (!params) continue;
    const isAppJwt = template === '/app' || template.startsWith('/app/');
    const presented = input.auth.replace(/^(token|bearer)\s+/i, '');
    const authorised = isAppJwt
      ? presented.split('.').length === 3
      : presented === input.token || st.installationTokens.has(presented);
    if (!authorised) {
      return {
        status: 401,
        route: template,
        body: {
          message: 'Bad credentials',
          documentation_url: 'https://docs.github.com/rest',
          status: '401',
        },
      };
    }
    if (
      params.owner !== undefined &&
      (params.owner !== st.repoObj.owner.login || params.repo !== st.repoObj.name)
    ) {
      return notFound(template);
    }
    let json: Record<string, unknown> = {};
    if (input.body) {
      try {
        json = JSON.parse(input.body) as Record<string, unknown>;
      } catch {
        return { status: 400, route: template, body: { message: 'Problems parsing JSON' } };
      }
    }
    return handler(st, params, input, json);
  }
  return {
    status: 404,
    route: null,
    body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' },
  };
}

function match(template: string, path: string): Record<string, string> | null {
  const t = template.split('/');
  const p = path.split('/');
  if (t.length !== p.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i += 1) {
    const seg = t[i] ?? '';
    const actual = decodeURIComponent(p[i] ?? '');
    if (seg.startsWith('{')) params[seg.slice(1, -1)] = actual;
    else if (seg !== actual) return null;
  }
  return params;
}

function ok(route: string, body: unknown): RouteResult {
  return { status: 200, route, body };
}

function notFound(route: string): RouteResult {
  return {
    status: 404,
    route,
    body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' },
  };
}

function invalid(route: string, message: string): RouteResult {
  return {
    status: 422,
    route,
    body: {
      message: 'Validation Failed',
      errors: [message],
      documentation_url: 'https://docs.github.com/rest',
      status: '422',
    },
  };
}

function page(route: string, items: unknown[], url: URL): RouteResult {
  const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
  const pageNo = Math.max(1, Number(url.searchParams.get('page') ?? 1));
  const body = items.slice((pageNo - 1) * perPage, pageNo * perPage);
  const hasNext = pageNo * perPage < items.length;
  let link: string | undefined;
  if (hasNext) {
    const next = new URL(url.toString());
    next.searchParams.set('page', String(pageNo + 1));
    link = `<${next.toString()}>; rel="next"`;
  }
  return { status: 200, route, body, ...(link ? { link } : {}) };
}

function rateLimitBody(st: GitHubState) {
  const core = {
    limit: st.quota.limit,
    remaining: Math.max(0, st.quota.limit - st.quota.used),
    reset: st.quota.reset,
    used: st.quota.used,
  };
  const search = { limit: 30, remaining: 30, reset: st.quota.reset, used: 0 };
  return { resources: { core, search }, rate: core };
}

function combinedStatus(st: GitHubState, sha: string) {
  const latest = new Map<string, ReturnType<typeof statusObject>>();
  for (const s of st.statusesFor(sha))
    if (!latest.has(s.context)) latest.set(s.context, statusObject(st.repoObj, s));
  const statuses = [...latest.values()];
  const states = statuses.map((s) => s.state);
  const state = states.some((s) => s === 'failure' || s === 'error')
    ? 'failure'
    : states.length === 0 || states.includes('pending')
      ? 'pending'
      : 'success';
  const { owner, ...rest } = st.repoObj;
  const minimal = { ...rest, owner };
  return {
    state,
    statuses: statuses.map(({ creator: _c, ...s }) => s),
    sha,
    total_count: statuses.length,
    repository: minimal,
    commit_url: `${st.repoObj.url}/commits/${sha}`,
    url: `${st.repoObj.url}/commits/${sha}/status`,
  };
}
