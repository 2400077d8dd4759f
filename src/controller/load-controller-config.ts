import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { EnvOptions } from '../shared/env.js';
import { ControllerConfigError } from '../shared/errors.js';
import { ControllerConfigFile } from './controller-config.js';

export type TargetKind =
  | { kind: 'local'; dir: string }
  | { kind: 's3'; bucket: string; prefix: string }
  | { kind: 'mwaa'; environment: string };

export interface GitHubAuth {
  token?: string;
  app?: { appId: string; installationId: string; privateKey: string };
}

/** The controller config after defaults, environment overrides and path resolution. */
export type ControllerConfig = Omit<ControllerConfigFile, 'github' | 'cache_dir' | 'target'> & {
  /** Directory of the config file; relative paths in the file are resolved against it. */
  baseDir: string;
  /** The target as written (`s3://...`, `mwaa://...`) or the absolute local folder. */
  target: string;
  targetKind: TargetKind;
  cache_dir: string;
  github?: Omit<NonNullable<ControllerConfigFile['github']>, 'token' | 'app' | 'webhook_secret'> & {
    auth: GitHubAuth;
  };
  /** HMAC secret for POST /webhook; the route exists only when this is set. */
  webhookSecret?: string;
  /** Every secret value, for the log redactor. */
  secrets: string[];
};

/** Reads and validates a controller config file; throws ControllerConfigError listing every problem. */
export function loadControllerConfig(
  path: string,
  env: Partial<EnvOptions>,
  cwd = process.cwd(),
): ControllerConfig {
  const file = resolve(cwd, path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ControllerConfigError([`cannot read ${path}: ${(err as Error).message}`]);
  }
  return parseControllerConfig(text, { file, env });
}

export interface ParseOptions {
  /** Absolute path of the file (for relative paths and messages). */
  file: string;
  env: Partial<EnvOptions>;
  readFile?: (path: string) => string;
}

export function parseControllerConfig(text: string, options: ParseOptions): ControllerConfig {
  const { file, env } = options;
  const readFile = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const baseDir = dirname(file);
  const problems: string[] = [];

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter });
  for (const e of doc.errors) {
    const pos = lineCounter.linePos(e.pos[0]);
    problems.push(`line ${pos.line}, column ${pos.col}: ${e.message.split('\n')[0]}`);
  }
  if (problems.length > 0) throw new ControllerConfigError(problems);

  const raw: unknown = doc.toJS() ?? {};
  const parsed = ControllerConfigFile.safeParse(raw);
  if (!parsed.success) problems.push(...parsed.error.issues.map(formatIssue));

  // Cross-field checks run on the raw document too, so one run reports everything.
  const rawObj = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const targetKind =
    typeof rawObj.target === 'string' ? classifyTarget(rawObj.target, baseDir, problems) : null;
  const github = parsed.success ? parsed.data.github : undefined;
  const auth = github ? resolveGitHubAuth(github, env, baseDir, readFile, problems) : undefined;
  const webhookSecret = env.webhookSecret ?? github?.webhook_secret;
  if (webhookSecret !== undefined && webhookSecret.length < 16) {
    problems.push('webhook secret (BACKTEST_GITOPS_WEBHOOK_SECRET): must be at least 16 characters');
  }
  const mwaaEnv = parsed.success ? parsed.data.mwaa?.environment : undefined;
  if (targetKind?.kind === 'mwaa' && mwaaEnv && mwaaEnv !== targetKind.environment) {
    problems.push(
      `mwaa.environment: "${mwaaEnv}" differs from the target's environment "${targetKind.environment}"`,
    );
  }

  if (!parsed.success || problems.length > 0 || !targetKind) throw new ControllerConfigError(problems);
  const data = parsed.data;
  const resultsWebhook = env.resultsWebhookUrl ?? data.results.webhook_url;
  const secrets = [auth?.token, auth?.app?.privateKey, webhookSecret, resultsWebhook].filter(
    (s): s is string => !!s,
  );
  const {
    token: _t,
    app: _a,
    webhook_secret: _w,
    ...githubRest
  } = data.github ?? ({} as NonNullable<typeof data.github>);
  return {
    ...data,
    baseDir,
    target: targetKind.kind === 'local' ? targetKind.dir : data.target,
    targetKind,
    mwaa:
      data.mwaa ??
      (targetKind.kind === 'mwaa'
        ? { verify: true, wait_seconds: 300, unpause_new: false, trigger_new: false }
        : undefined),
    cache_dir: resolvePath(baseDir, env.cacheDir ?? data.cache_dir ?? join(tmpdir(), 'backtest-gitops')),
    log: { level: (env.logLevel as ControllerConfigFile['log']['level'] | undefined) ?? data.log.level },
    github: data.github && auth ? { ...githubRest, auth } : undefined,
    webhookSecret,
    results: { ...data.results, ...(resultsWebhook ? { webhook_url: resultsWebhook } : {}) },
    secrets,
    repo: {
      ...data.repo,
      url: isLocalPath(data.repo.url) ? resolvePath(baseDir, data.repo.url) : data.repo.url,
    },
  };
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys')
    return `${path}: unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined'))
    return `${path}: is required`;
  return `${path}: ${issue.message}`;
}

function classifyTarget(target: string, baseDir: string, problems: string[]): TargetKind | null {
  const s3 = /^s3:\/\/([^/]*)\/?(.*)$/.exec(target);
  if (s3) {
    if (!s3[1]) {
      problems.push(`target: "${target}" has no bucket name`);
      return null;
    }
    return { kind: 's3', bucket: s3[1], prefix: (s3[2] ?? '').replace(/\/+$/, '') };
  }
  const mwaa = /^mwaa:\/\/(.*)$/.exec(target);
  if (mwaa) {
    if (!mwaa[1]) {
      problems.push(`target: "${target}" has no MWAA environment name`);
      return null;
    }
    return { kind: 'mwaa', environment: mwaa[1] };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    problems.push(
      `target: unsupported scheme in "${target}" (use s3://bucket/prefix, mwaa://environment or a folder)`,
    );
    return null;
  }
  return { kind: 'local', dir: resolvePath(baseDir, target) };
}

function resolveGitHubAuth(
  github: NonNullable<ControllerConfigFile['github']>,
  env: Partial<EnvOptions>,
  baseDir: string,
  readFile: (path: string) => string,
  problems: string[],
): GitHubAuth {
  const token = env.githubToken ?? github.token;
  const appId = env.githubAppId ?? github.app?.app_id?.toString();
  const installationId = env.githubAppInstallationId ?? github.app?.installation_id?.toString();
  const keyPath = env.githubAppPrivateKeyPath ?? github.app?.private_key_path;
  let privateKey = env.githubAppPrivateKey;
  const wantsApp =
    appId !== undefined || installationId !== undefined || keyPath !== undefined || privateKey !== undefined;
  if (!wantsApp) {
    if (!token)
      problems.push('github: no credentials; set GITHUB_TOKEN (or github.token) or configure github.app');
    return { token };
  }
  if (!privateKey && keyPath) {
    try {
      privateKey = readFile(resolvePath(baseDir, keyPath));
    } catch (err) {
      problems.push(
        `github.app.private_key_path: cannot read ${keyPath} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  if (!appId) problems.push('github.app.app_id: is required for GitHub App auth (or GITHUB_APP_ID)');
  if (!installationId)
    problems.push(
      'github.app.installation_id: is required for GitHub App auth (or GITHUB_APP_INSTALLATION_ID)',
    );
  if (!privateKey && !keyPath)
    problems.push('github.app.private_key_path: is required (or GITHUB_APP_PRIVATE_KEY)');
  if (privateKey && !privateKey.includes('PRIVATE KEY'))
    problems.push('github app private key: not a PEM private key');
  if (!appId || !installationId || !privateKey) return { token };
  return { token, app: { appId, installationId, privateKey } };
}

function isLocalPath(url: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^[^/]+@[^/]+:/.test(url);
}

function resolvePath(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}
