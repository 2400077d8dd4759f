import { describe, expect, it } from 'vitest';
import { parseEnv } from './env.js';

describe('parseEnv', () => {
  it('reads the documented variables and drops unset or blank ones', () => {
    const env = parseEnv({
      GITHUB_TOKEN: 'ghp_x',
      GITHUB_WEBHOOK_SECRET: 'fallback-secret',
      BACKTEST_GITOPS_WEBHOOK_SECRET: 'preferred-secret',
      GITHUB_APP_ID: '',
      LOG_LEVEL: 'debug',
      AWS_DEFAULT_REGION: 'eu-west-1',
      UNRELATED: 'x',
    });
    expect(env).toEqual({
      githubToken: 'ghp_x',
      webhookSecret: 'preferred-secret',
      logLevel: 'debug',
      awsRegion: 'eu-west-1',
      childEnv: {},
    });
  });

  it('returns only the (empty) child environment for an empty environment', () => {
    expect(parseEnv({})).toEqual({ childEnv: {} });
  });

  it('reads AWS credentials only as a pair, the S3 endpoint in order of precedence, and GitHub Actions values', () => {
    const env = parseEnv({
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_MAX_ATTEMPTS: '3',
      AWS_ENDPOINT_URL: 'http://generic:4566',
      AWS_ENDPOINT_URL_S3: 'http://s3-only:9000',
      GITHUB_SERVER_URL: 'https://github.example/',
      GITHUB_REPOSITORY: 'quant/backtests',
      GITHUB_STEP_SUMMARY: '/tmp/summary.md',
    });
    expect(env).toMatchObject({
      awsCredentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      awsMaxAttempts: 3,
      s3Endpoint: 'http://s3-only:9000',
      githubRepositoryUrl: 'https://github.example/quant/backtests',
      githubStepSummary: '/tmp/summary.md',
    });
    expect(parseEnv({ AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE' }).awsCredentials).toBeUndefined();
    expect(
      parseEnv({ BACKTEST_GITOPS_S3_ENDPOINT: 'http://ours:1', AWS_ENDPOINT_URL: 'http://x:2' }).s3Endpoint,
    ).toBe('http://ours:1');
  });

  it('reads GitHub Actions and colour settings (FORCE_COLOR wins over NO_COLOR, as in Node)', () => {
    expect(parseEnv({ GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: '/w' })).toMatchObject({
      githubActions: true,
      githubWorkspace: '/w',
    });
    expect(parseEnv({ GITHUB_ACTIONS: 'false' }).githubActions).toBeUndefined();
    expect(parseEnv({ NO_COLOR: '1' }).color).toBe(false);
    expect(parseEnv({ NO_COLOR: '' }).color).toBeUndefined();
    expect(parseEnv({ NO_COLOR: '1', FORCE_COLOR: '1' }).color).toBe(true);
    expect(parseEnv({ FORCE_COLOR: '0' }).color).toBe(false);
  });

  it('passes child processes only PATH, HOME, locale, TMPDIR, ssh agent and proxies', () => {
    const { childEnv } = parseEnv({
      PATH: '/bin',
      HOME: '/home/r',
      GIT_DIR: '/evil',
      EDITOR: 'vim',
      https_proxy: 'p',
    });
    expect(childEnv).toEqual({ PATH: '/bin', HOME: '/home/r', https_proxy: 'p' });
  });
});
