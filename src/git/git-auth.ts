import { GitError } from '../shared/errors.js';

/** How git authenticates to the config repository's remote. */
export interface GitAuth {
  /** HTTPS token (personal access token or GitHub App installation token). */
  token?: string;
  /**
   * Fetches a fresh HTTPS token before each network operation; for GitHub App installation
   * tokens, which expire after an hour. Takes precedence over `token`.
   */
  getToken?: () => Promise<string>;
  /** Private key file for SSH remotes. */
  sshKeyPath?: string;
}

/**
 * Environment for git child processes carrying the credentials. The token travels as an
 * `http.<origin>/.extraHeader` set through GIT_CONFIG_* variables: it is never written to
 * the repository's config on disk, never part of the remote URL, and not visible in the
 * process list (unlike `-c` arguments).
 */
export function gitAuthEnv(remoteUrl: string, auth: GitAuth = {}): Record<string, string> {
  const env: Record<string, string> = {
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
  };
  const configs: [string, string][] = [];
  if (auth.token || auth.getToken) {
    const origin = httpOrigin(remoteUrl);
    if (!origin) {
      throw new GitError(
        'a token was configured but the remote is not an https:// URL',
        'use an https:// remote with a token, or an ssh remote with sshKeyPath',
      );
    }
    if (auth.token) {
      const basic = Buffer.from(`x-access-token:${auth.token}`).toString('base64');
      configs.push([`http.${origin}/.extraHeader`, `Authorization: Basic ${basic}`]);
    }
  }
  if (auth.sshKeyPath) {
    env.GIT_SSH_COMMAND = `ssh -i ${shellQuote(auth.sshKeyPath)} -o IdentitiesOnly=yes -o BatchMode=yes`;
  }
  env.GIT_CONFIG_COUNT = String(configs.length);
  configs.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/** Rejects remote URLs that carry credentials, which git would store in the cache's config. */
export function assertNoCredentialsInUrl(remoteUrl: string): void {
  // user:password@ anywhere; for http(s) also a bare user@, which is how a token is often
  // passed (https://TOKEN@host). ssh://git@host stays allowed: that user is no secret.
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(remoteUrl) || /^https?:\/\/[^/@]+@/i.test(remoteUrl)) {
    throw new GitError(
      'the config repository URL contains credentials',
      'remove the credentials from the URL; git over https authenticates with the GitHub credentials (GITHUB_TOKEN / github.token, or github.app)',
    );
  }
}

function httpOrigin(url: string): string | null {
  // Not a URL (an scp-like `git@host:org/repo`, a path): no HTTP origin to authenticate.
  if (!URL.canParse(url)) return null;
  const u = new URL(url);
  return u.protocol === 'https:' || u.protocol === 'http:' ? u.origin : null;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
