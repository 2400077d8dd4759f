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
    });
  });

  it('returns an empty object for an empty environment', () => {
    expect(parseEnv({})).toEqual({});
  });
});
