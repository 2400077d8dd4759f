import { join } from 'node:path';
import { GitRepoCache } from '../git/index.js';
import { connectGitHub, type GitHubTraffic } from '../github/index.js';
import type { EnvOptions } from '../shared/env.js';
import type { Logger } from '../shared/logger.js';
import { extraTargetResolvers } from '../targets/extra-resolvers.js';
import { openTarget } from '../targets/open-target.js';
import type { ControllerConfig } from './load-controller-config.js';
import { mwaaImportCheck } from './mwaa-import-check.js';
import { PipelineDeployer } from './pipeline-deployer.js';
import type { ConfigRepoPort, ControllerPorts } from './ports.js';

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
  const deployer = new PipelineDeployer({
    reader: cache,
    configPath: config.repo.path,
    ...(config.repo.environment ? { environment: config.repo.environment } : {}),
    maxDeleteShare: config.prune.max_delete_share,
    allowMassDelete: config.prune.allow_mass_delete,
    openStore: () =>
      openTarget(
        config.target,
        { env: opts.processEnv, cwd: opts.cwd, ...(env.s3Endpoint ? { s3Endpoint: env.s3Endpoint } : {}) },
        extraTargetResolvers,
      ),
  });
  const ports: ControllerPorts & { traffic?: GitHubTraffic } = { repo, deployer };

  const mwaa = config.mwaa;
  const mwaaEnvironment =
    mwaa?.environment ?? (config.targetKind.kind === 'mwaa' ? config.targetKind.environment : undefined);
  if (mwaa?.verify && mwaaEnvironment) {
    ports.importCheck = mwaaImportCheck({
      environment: mwaaEnvironment,
      region: mwaa.region ?? env.awsRegion ?? 'us-east-1',
      ...(env.mwaaEndpoint ? { endpoint: env.mwaaEndpoint } : {}),
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
    const { traffic } = connectGitHub({
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
    ports.rateLimit = { remaining: () => traffic.lastRateLimit?.remaining ?? null };
  }
  return ports;
}
