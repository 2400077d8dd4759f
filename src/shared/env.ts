/**
 * The one reader of environment variables in the codebase. Everything else receives the
 * typed `EnvOptions` (or the values it needs) as arguments, so tests pass plain objects
 * and no code deep inside reads `process.env`.
 *
 * Secrets come from here rather than from the controller config file so they can live in
 * Kubernetes Secrets; a value set here overrides the same value in the file.
 */
export interface EnvOptions {
  /** GITHUB_TOKEN: a token with `repo` (or `statuses` + `pull_requests`) scope. */
  githubToken?: string;
  /** BACKTEST_GITOPS_WEBHOOK_SECRET (or GITHUB_WEBHOOK_SECRET): HMAC secret of the GitHub webhook. */
  webhookSecret?: string;
  /** Slack-compatible incoming webhook for finished results (a secret URL). */
  resultsWebhookUrl?: string;
  /** GITHUB_APP_ID */
  githubAppId?: string;
  /** GITHUB_APP_INSTALLATION_ID */
  githubAppInstallationId?: string;
  /** GITHUB_APP_PRIVATE_KEY: the App's PEM key itself (as a Secret-backed env var). */
  githubAppPrivateKey?: string;
  /** GITHUB_APP_PRIVATE_KEY_PATH: a file holding the PEM key (a mounted Secret). */
  githubAppPrivateKeyPath?: string;
  /** BACKTEST_GITOPS_CONFIG: controller config path when `--config` is not given. */
  controllerConfigPath?: string;
  /** BACKTEST_GITOPS_LOG_LEVEL (or LOG_LEVEL): overrides `log.level`. */
  logLevel?: string;
  /** BACKTEST_GITOPS_CACHE_DIR: overrides `cache_dir`. */
  cacheDir?: string;
  /**
   * BACKTEST_GITOPS_S3_ENDPOINT (or the SDK's AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL): custom S3
   * endpoint (S3-compatible stores, tests); implies path-style.
   */
  s3Endpoint?: string;
  /** BACKTEST_GITOPS_MWAA_ENDPOINT: custom MWAA control-plane endpoint (tests). */
  mwaaEndpoint?: string;
  /** AWS_REGION (or AWS_DEFAULT_REGION). */
  awsRegion?: string;
  /**
   * AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), when both are set; used as
   * given for S3 and MWAA alike. Absent: the SDK's standard chain (profile, SSO, IRSA, role).
   */
  awsCredentials?: AwsCredentials;
  /** AWS_MAX_ATTEMPTS: attempts per AWS request (SDK standard retry mode). */
  awsMaxAttempts?: number;
  /** GITHUB_STEP_SUMMARY: the job-summary file of a GitHub Actions step (`pr check --github-output`). */
  githubStepSummary?: string;
  /** GITHUB_SERVER_URL + GITHUB_REPOSITORY, as set in GitHub Actions: the repository's web URL. */
  githubRepositoryUrl?: string;
  /** GITHUB_ACTIONS=true: running in a GitHub Actions job (issues are also printed as annotations). */
  githubActions?: boolean;
  /** GITHUB_WORKSPACE: the job's checkout, which annotation paths are relative to. */
  githubWorkspace?: string;
  /**
   * Colour forced on or off whatever the stream: FORCE_COLOR (on; `0` or `false` off) wins,
   * as in Node, over NO_COLOR (off, no-color.org). Absent: colour when the stream is a terminal.
   */
  color?: boolean;
  /**
   * What child processes (git) inherit: PATH, HOME, locale, TMPDIR, the ssh agent and proxies.
   * Nothing else: editors, pagers and GIT_* variables could redirect or hijack git.
   */
  childEnv: Record<string, string>;
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const CHILD_ENV_KEYS = [
  'PATH',
  'HOME',
  'USER',
  'LANG',
  'LC_ALL',
  'TMPDIR',
  'SSH_AUTH_SOCK',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
  'https_proxy',
  'http_proxy',
  'no_proxy',
];

/** Reads the variables above; empty strings count as unset. */
export function parseEnv(env: NodeJS.ProcessEnv = process.env): EnvOptions {
  const get = (...names: string[]): string | undefined => {
    for (const name of names) {
      const value = env[name];
      if (value !== undefined && value.trim() !== '') return value;
    }
    return undefined;
  };
  const options: EnvOptions = {
    githubToken: get('GITHUB_TOKEN'),
    webhookSecret: get('BACKTEST_GITOPS_WEBHOOK_SECRET', 'GITHUB_WEBHOOK_SECRET'),
    resultsWebhookUrl: get('BACKTEST_GITOPS_RESULTS_WEBHOOK_URL'),
    githubAppId: get('GITHUB_APP_ID'),
    githubAppInstallationId: get('GITHUB_APP_INSTALLATION_ID'),
    githubAppPrivateKey: get('GITHUB_APP_PRIVATE_KEY'),
    githubAppPrivateKeyPath: get('GITHUB_APP_PRIVATE_KEY_PATH'),
    controllerConfigPath: get('BACKTEST_GITOPS_CONFIG'),
    logLevel: get('BACKTEST_GITOPS_LOG_LEVEL', 'LOG_LEVEL'),
    cacheDir: get('BACKTEST_GITOPS_CACHE_DIR'),
    s3Endpoint: get('BACKTEST_GITOPS_S3_ENDPOINT', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'),
    mwaaEndpoint: get('BACKTEST_GITOPS_MWAA_ENDPOINT'),
    awsRegion: get('AWS_REGION', 'AWS_DEFAULT_REGION'),
    awsCredentials: awsCredentials(get),
    awsMaxAttempts: positiveInt(get('AWS_MAX_ATTEMPTS')),
    githubStepSummary: get('GITHUB_STEP_SUMMARY'),
    githubRepositoryUrl: both(get('GITHUB_SERVER_URL'), get('GITHUB_REPOSITORY')),
    githubActions: get('GITHUB_ACTIONS') === 'true' ? true : undefined,
    githubWorkspace: get('GITHUB_WORKSPACE'),
    color: colorOverride(env.FORCE_COLOR, get('NO_COLOR')),
    childEnv: Object.fromEntries(
      CHILD_ENV_KEYS.flatMap((key) => (env[key] === undefined ? [] : [[key, env[key] as string]])),
    ),
  };
  // Drop unset keys so spreading the result over file values never writes `undefined`.
  for (const key of Object.keys(options) as (keyof EnvOptions)[]) {
    if (options[key] === undefined) delete options[key];
  }
  return options;
}

function awsCredentials(get: (name: string) => string | undefined): AwsCredentials | undefined {
  const [accessKeyId, secretAccessKey] = [get('AWS_ACCESS_KEY_ID'), get('AWS_SECRET_ACCESS_KEY')];
  if (!accessKeyId || !secretAccessKey) return undefined;
  const sessionToken = get('AWS_SESSION_TOKEN');
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

function colorOverride(force: string | undefined, noColor: string | undefined): boolean | undefined {
  if (force !== undefined) return !['0', 'false'].includes(force.toLowerCase());
  return noColor !== undefined ? false : undefined;
}

function positiveInt(value: string | undefined): number | undefined {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function both(server: string | undefined, repository: string | undefined): string | undefined {
  return server && repository ? `${server.replace(/\/+$/, '')}/${repository}` : undefined;
}
