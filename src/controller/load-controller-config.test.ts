import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ControllerConfigError } from '../shared/errors.js';
import { parseControllerConfig } from './load-controller-config.js';

const FILE = '/etc/backtest-gitops/controller.yaml';
const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n';
const readFile = (path: string) => {
  if (path.endsWith('.pem')) return PEM;
  throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
};

function problems(text: string, env = {}): string[] {
  try {
    parseControllerConfig(text, { file: FILE, env, readFile });
  } catch (err) {
    expect(err).toBeInstanceOf(ControllerConfigError);
    return (err as ControllerConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
}

describe('controller config', () => {
  it('accepts the annotated example in deploy/', () => {
    const text = readFileSync(
      fileURLToPath(new URL('../../deploy/controller.example.yaml', import.meta.url)),
      'utf8',
    );
    const config = parseControllerConfig(text, { file: FILE, env: {}, readFile });
    expect(config.targetKind).toEqual({ kind: 'mwaa', environment: 'backtests-prod' });
    expect(config.github?.auth.app).toEqual({ appId: '123456', installationId: '7654321', privateKey: PEM });
    expect(config.secrets).toEqual([PEM]);
  });

  it('fills defaults for a minimal config and resolves relative paths against the file', () => {
    const config = parseControllerConfig('repo: { url: ../configs }\ntarget: ./dags\n', {
      file: FILE,
      env: {},
    });
    expect(config.repo).toEqual({ url: '/etc/configs', branch: 'main', path: '.' });
    expect(config.targetKind).toEqual({ kind: 'local', dir: '/etc/backtest-gitops/dags' });
    expect(config.schedule).toBe('* * * * *');
    expect(config.drift).toBe('report');
    expect(config.prune).toEqual({ max_delete_share: 0.5, allow_mass_delete: false });
    expect(config.http.port).toBe(8080);
    expect(config.github).toBeUndefined();
    expect(config.webhookSecret).toBeUndefined();
  });

  it('parses s3 targets', () => {
    const config = parseControllerConfig('repo: { url: x }\ntarget: s3://bucket/dags/\n', {
      file: FILE,
      env: {},
    });
    expect(config.targetKind).toEqual({ kind: 's3', bucket: 'bucket', prefix: 'dags' });
  });

  it('lists every problem at once', () => {
    const found = problems(
      [
        'repo: { branch: "" , depth: 1 }',
        'target: ftp://host/dags',
        'schedule: "every minute"',
        'drift: fix',
        'prune: { max_delete_share: 2 }',
        'http: { port: 99999 }',
        'github: { repository: not-a-repo }',
        'suspend: "yes"',
        'retires: 3',
      ].join('\n'),
    );
    const text = found.join('\n');
    for (const expected of [
      'repo.url: is required',
      'repo.branch: must not be empty',
      'repo: unknown key(s) "depth"',
      'target: unsupported scheme',
      'schedule: not a valid cron expression',
      'drift:',
      'prune.max_delete_share:',
      'http.port:',
      'github.repository: must be "owner/name"',
      'suspend:',
      '(top level): unknown key(s) "retires"',
    ]) {
      expect(text).toContain(expected);
    }
    expect(found.length).toBeGreaterThanOrEqual(11);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(problems('repo: {url: x\ntarget: [')[0]).toMatch(/^line \d+, column \d+: /);
  });

  it('requires GitHub credentials and complete App settings', () => {
    expect(problems('repo: { url: x }\ntarget: ./d\ngithub: { repository: a/b }\n')).toEqual([
      'github: no credentials; set GITHUB_TOKEN (or github.token) or configure github.app',
    ]);
    const app = problems(
      'repo: { url: x }\ntarget: ./d\ngithub: { repository: a/b, app: { app_id: 1, private_key_path: k.key } }\n',
    );
    expect(app).toEqual([
      'github.app.private_key_path: cannot read k.key (ENOENT)',
      'github.app.installation_id: is required for GitHub App auth (or GITHUB_APP_INSTALLATION_ID)',
    ]);
  });

  it('takes secrets from the environment over the file', () => {
    const config = parseControllerConfig(
      'repo: { url: x }\ntarget: ./d\ngithub: { repository: a/b, token: file-token-value, webhook_secret: file-secret-0123456789 }\n',
      {
        file: FILE,
        env: {
          githubToken: 'ghp_envtoken',
          webhookSecret: 'env-secret-0123456789',
          logLevel: 'debug',
          cacheDir: '/cache',
        },
      },
    );
    expect(config.github?.auth).toEqual({ token: 'ghp_envtoken' });
    expect(config.webhookSecret).toBe('env-secret-0123456789');
    expect(config.log.level).toBe('debug');
    expect(config.cache_dir).toBe('/cache');
    expect(config.secrets).toEqual(['ghp_envtoken', 'env-secret-0123456789']);
    expect(JSON.stringify(config)).not.toContain('file-token-value');
  });

  it('builds GitHub App auth from the environment alone', () => {
    const config = parseControllerConfig('repo: { url: x }\ntarget: ./d\ngithub: { repository: a/b }\n', {
      file: FILE,
      env: { githubAppId: '1', githubAppInstallationId: '2', githubAppPrivateKey: PEM },
    });
    expect(config.github?.auth.app).toEqual({ appId: '1', installationId: '2', privateKey: PEM });
  });

  it('spaces GitHub writes unless github.space_writes is false', () => {
    const github = (extra: string) =>
      parseControllerConfig(`repo: { url: x }\ntarget: ./d\ngithub: { repository: a/b${extra} }\n`, {
        file: FILE,
        env: { githubToken: 'ghp_envtoken' },
      }).github;
    expect(github('')?.space_writes).toBe(true);
    expect(github(', space_writes: false')?.space_writes).toBe(false);
    expect(
      problems('repo: { url: x }\ntarget: ./d\ngithub: { repository: a/b, space_writes: "no" }\n'),
    ).toEqual(['github.space_writes: Invalid input: expected boolean, received string']);
  });

  it('rejects a short webhook secret from the environment', () => {
    expect(problems('repo: { url: x }\ntarget: ./d\n', { webhookSecret: 'short-secret' })).toEqual([
      'webhook secret (BACKTEST_GITOPS_WEBHOOK_SECRET): must be at least 16 characters',
    ]);
  });

  it('defaults the mwaa section for a mwaa:// target and rejects a contradicting environment', () => {
    const config = parseControllerConfig('repo: { url: x }\ntarget: mwaa://prod\n', { file: FILE, env: {} });
    expect(config.mwaa).toMatchObject({ verify: true, unpause_new: false });
    expect(problems('repo: { url: x }\ntarget: mwaa://prod\nmwaa: { environment: staging }\n')).toEqual([
      'mwaa.environment: "staging" differs from the target\'s environment "prod"',
    ]);
  });
});
