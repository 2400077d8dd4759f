import { UsageError } from '../shared/errors.js';
import {
  createGitHubClient,
  type GitHubAuth,
  type GitHubClientOptions,
  type GitHubTraffic,
} from './octokit-client.js';
import { appBotLogin, OctokitGitHub, tokenUserLogin } from './octokit-github.js';

export interface ConnectGitHubOptions extends GitHubClientOptions {
  /** `owner/repo` of the config repository. */
  repository: string;
  /** Web base for links; derived from baseUrl when absent (`https://github.com` by default). */
  webUrl?: string;
}

/** Builds the GitHub port for one repository, plus its traffic counters (for metrics). */
export function connectGitHub(opts: ConnectGitHubOptions): {
  github: OctokitGitHub;
  traffic: GitHubTraffic;
  /** A token for git over HTTPS: the personal token, or a current App installation token (cached, refreshed by auth-app). */
  gitToken: () => Promise<string>;
} {
  const [owner, repo, ...rest] = opts.repository.split('/');
  if (!owner || !repo || rest.length > 0) {
    throw new UsageError(`github repository must be "owner/repo", got ${JSON.stringify(opts.repository)}`);
  }
  const { octokit, traffic } = createGitHubClient(opts);
  const github = new OctokitGitHub(
    octokit,
    traffic,
    { owner, repo, webUrl: opts.webUrl ?? webUrlFor(opts.baseUrl) },
    opts.auth.kind === 'app',
    secretsOf(opts.auth),
    opts.auth.kind === 'app' ? appBotLogin : tokenUserLogin,
  );
  const auth = opts.auth;
  const gitToken =
    auth.kind === 'token'
      ? async () => auth.token
      : async () => ((await octokit.auth({ type: 'installation' })) as { token: string }).token;
  return { github, traffic, gitToken };
}

/** `https://ghe.example.com/api/v3` → `https://ghe.example.com`; api.github.com → github.com. */
export function webUrlFor(baseUrl: string | undefined): string {
  if (!baseUrl) return 'https://github.com';
  const u = new URL(baseUrl);
  if (u.hostname === 'api.github.com') return 'https://github.com';
  return `${u.protocol}//${u.host}`;
}

function secretsOf(auth: GitHubAuth): string[] {
  return auth.kind === 'token' ? [auth.token] : [auth.privateKey];
}
