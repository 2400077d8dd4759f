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
  /** BACKTEST_GITOPS_S3_ENDPOINT: custom S3 endpoint (S3-compatible stores, tests); implies path-style. */
  s3Endpoint?: string;
  /** BACKTEST_GITOPS_MWAA_ENDPOINT: custom MWAA control-plane endpoint (tests). */
  mwaaEndpoint?: string;
  /** AWS_REGION (or AWS_DEFAULT_REGION). */
  awsRegion?: string;
}

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
    githubAppId: get('GITHUB_APP_ID'),
    githubAppInstallationId: get('GITHUB_APP_INSTALLATION_ID'),
    githubAppPrivateKey: get('GITHUB_APP_PRIVATE_KEY'),
    githubAppPrivateKeyPath: get('GITHUB_APP_PRIVATE_KEY_PATH'),
    controllerConfigPath: get('BACKTEST_GITOPS_CONFIG'),
    logLevel: get('BACKTEST_GITOPS_LOG_LEVEL', 'LOG_LEVEL'),
    cacheDir: get('BACKTEST_GITOPS_CACHE_DIR'),
    s3Endpoint: get('BACKTEST_GITOPS_S3_ENDPOINT'),
    mwaaEndpoint: get('BACKTEST_GITOPS_MWAA_ENDPOINT'),
    awsRegion: get('AWS_REGION', 'AWS_DEFAULT_REGION'),
  };
  // Drop unset keys so spreading the result over file values never writes `undefined`.
  for (const key of Object.keys(options) as (keyof EnvOptions)[]) {
    if (options[key] === undefined) delete options[key];
  }
  return options;
}
