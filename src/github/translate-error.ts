import { GitHubApiError } from '../shared/errors.js';
import { redact } from '../shared/redact.js';

/** The GitHub App / token permission an operation needs, named as GitHub's settings name it. */
export type Permission =
  | 'pull_requests:read'
  | 'issues:write'
  | 'statuses:write'
  | 'checks:write'
  | 'contents:read';

/**
 * Turns an Octokit RequestError (or anything thrown under it) into a GitHubApiError whose
 * message says what failed and whose hint says how to fix it. Secrets are redacted.
 */
export function translateGitHubError(
  err: unknown,
  what: string,
  ctx: { repo: string; permission?: Permission; secrets?: readonly string[] },
): GitHubApiError {
  if (err instanceof GitHubApiError) return err;
  const status =
    typeof (err as { status?: unknown })?.status === 'number'
      ? (err as { status: number }).status
      : undefined;
  const raw = err instanceof Error ? err.message : String(err);
  const message = redact(`${what} failed${status ? ` (HTTP ${status})` : ''}: ${raw}`, ctx.secrets ?? []);
  return new GitHubApiError(message, status, { hint: hintFor(status, raw, ctx), cause: err });
}

function hintFor(
  status: number | undefined,
  raw: string,
  ctx: { repo: string; permission?: Permission },
): string {
  switch (status) {
    case 401:
      return 'the GitHub token is invalid or expired: check GITHUB_TOKEN, or the App id / private key / installation id';
    case 403:
      if (/rate limit/i.test(raw))
        return 'GitHub rate limit exhausted: the controller retries after the reset time';
      return ctx.permission
        ? `the token lacks the "${ctx.permission}" permission on ${ctx.repo}: grant it to the token or GitHub App`
        : `the token is not allowed to do this on ${ctx.repo}: check its permissions`;
    case 404:
      return `repository ${ctx.repo} not found, or the token cannot see it: check github.repository and the token's repository access`;
    case 422:
      return 'GitHub rejected the request as invalid; this is likely a bug, please report it';
    case undefined:
      return 'GitHub could not be reached: check github.baseUrl and network access';
    default:
      return status >= 500 ? 'GitHub had a server error; the controller retries on the next reconcile' : '';
  }
}
