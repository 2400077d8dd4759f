import { join } from 'node:path';
import { GitRepoCache } from '../git/index.js';
import { connectGitHub, type GitHubTraffic } from '../github/index.js';
import { connectMwaa } from '../mwaa/mwaa-connection.js';
import type { EnvOptions } from '../shared/env.js';
import type { Logger } from '../shared/logger.js';
import type { DagStore } from '../targets/dag-store.js';
import { extraTargetResolvers } from '../targets/extra-resolvers.js';
import { openTarget } from '../targets/open-target.js';
import { reportDeploy } from './deploy-report.js';
import type { ControllerConfig } from './load-controller-config.js';
import { mwaaImportCheck } from './mwaa-import-check.js';
import { PipelineDeployer, scopeToFolder } from './pipeline-deployer.js';
import type { ConfigRepoPort, ControllerPorts } from './ports.js';
import { type PullRequestMemory, validatePullRequests } from './pull-requests.js';

export interface ComposeOptions {
  config: ControllerConfig;
  env: EnvOptions;
  /** The process environment, handed to the AWS SDK's credential chain by openTarget. */
  processEnv: NodeJS.ProcessEnv;
  cwd: string;
  log: Logger;
}

/**
 * The composition root: builds the controller's ports from the real adapters (git cache,
 * config → render → plan → apply on the target, MWAA import check, GitHub). The only place
 * that knows which concrete classes back the ports.
 */
export function composePorts(opts: ComposeOptions): ControllerPorts & { traffic?: GitHubTraffic } {
  const { config, env, log } = opts;
  // Git over HTTPS authenticates with the GitHub token; ssh and local remotes need none.
  const gitToken = /^https:\/\//i.test(config.repo.url) ? config.github?.auth.token : undefined;
  const cache = new GitRepoCache({
    url: config.repo.url,
    cacheDir: join(config.cache_dir, 'repo.git'),
    branch: config.repo.branch,
    ...(gitToken ? { auth: { token: gitToken } } : {}),
  });
  const repo: ConfigRepoPort = {
    async fetchHead() {
      await cache.sync();
      return cache.defaultBranchSha();
    },
  };
  // One store for deploys and PR plans; opened on first use, re-opened after a failed open.
  let store: Promise<DagStore> | null = null;
  const openStore = (): Promise<DagStore> => {
    store ??= openTarget(
      config.target,
      { env: opts.processEnv, cwd: opts.cwd, ...(env.s3Endpoint ? { s3Endpoint: env.s3Endpoint } : {}) },
      extraTargetResolvers,
    ).catch((err: unknown) => {
      store = null;
      throw err;
    });
    return store;
  };
  const deployer = new PipelineDeployer({
    reader: cache,
    configPath: config.repo.path,
    ...(config.repo.environment ? { environment: config.repo.environment } : {}),
    maxDeleteShare: config.prune.max_delete_share,
    allowMassDelete: config.prune.allow_mass_delete,
    openStore,
  });
  const ports: ControllerPorts & { traffic?: GitHubTraffic } = { repo, deployer };

  const mwaa = config.mwaa;
  const mwaaEnvironment =
    mwaa?.environment ?? (config.targetKind.kind === 'mwaa' ? config.targetKind.environment : undefined);
  if (mwaa?.verify && mwaaEnvironment) {
    ports.importCheck = mwaaImportCheck({
      connection: connectMwaa(mwaaEnvironment, opts.processEnv, mwaa.region),
      waitSeconds: mwaa.wait_seconds,
      unpauseNew: mwaa.unpause_new,
      triggerNew: mwaa.trigger_new,
    });
  }

  const github = config.github;
  if (github) {
    const auth = github.auth.app
      ? {
          kind: 'app' as const,
          appId: github.auth.app.appId,
          privateKey: github.auth.app.privateKey,
          installationId: Number(github.auth.app.installationId),
        }
      : { kind: 'token' as const, token: github.auth.token ?? '' };
    const ghLog = log.child({ component: 'github' });
    const { github: client, traffic } = connectGitHub({
      repository: github.repository,
      baseUrl: github.base_url,
      auth,
      log: {
        debug: (m) => ghLog.debug(m),
        info: (m) => ghLog.info(m),
        warn: (m) => ghLog.warn(m),
        error: (m) => ghLog.error(m),
      },
    });
    ports.traffic = traffic;
    const ghInfo = { info: (m: string) => ghLog.info(m), warn: (m: string) => ghLog.warn(m) };
    if (github.validate_pull_requests) {
      // PR number → last reported head and comment body, kept across polls.
      const memory: PullRequestMemory = new Map();
      ports.pullRequests = {
        async validateOpenPullRequests(ctx) {
          const result = await validatePullRequests({
            github: client,
            repo: {
              sync: () => cache.sync(),
              readConfigFiles: async (sha) =>
                scopeToFolder(await cache.readConfigFiles(sha), config.repo.path),
            },
            readManifest: async () => (await (await openStore()).readManifest())?.manifest ?? null,
            readDeployedFile: async (key) => (await openStore()).get(key),
            memory,
            ...(config.repo.environment ? { environment: config.repo.environment } : {}),
            log: ghInfo,
          });
          for (const f of result.failed)
            ctx.log.warn({ pr: f.pr, err: f.error }, 'pull request validation failed');
          if (result.validated > 0 || result.recreated > 0) {
            ctx.log.info(
              { validated: result.validated, recreated: result.recreated, stale: result.stale },
              'pull requests validated',
            );
          }
          return { validated: result.validated };
        },
      };
    }
    if (github.report_deploys) {
      ports.deployReporter = {
        async report(report, ctx) {
          const r = await reportDeploy({ github: client, log: ghInfo }, report.commit, report);
          ctx.log.info(
            { commit: report.commit, ok: report.ok, statusSet: r.statusSet, pr: r.commentedOn },
            'deploy reported on GitHub',
          );
        },
      };
    }
    ports.rateLimit = { remaining: () => traffic.lastRateLimit?.remaining ?? null };
  }
  return ports;
}
