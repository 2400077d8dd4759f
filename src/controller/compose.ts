import { join } from 'node:path';
import { GitRepoCache } from '../git/index.js';
import { connectGitHub, type GitHubClientOptions, type GitHubTraffic } from '../github/index.js';
import { connectMwaa } from '../mwaa/mwaa-connection.js';
import { extraTargetResolvers } from '../mwaa/target-resolvers.js';
import type { EnvOptions } from '../shared/env.js';
import type { Logger } from '../shared/logger.js';
import { normaliseRepoUrl } from '../targets/claims.js';
import type { DagStore } from '../targets/dag-store.js';
import { openTarget } from '../targets/open-target.js';
import { composeResults } from './compose-results.js';
import { reportDeploy } from './deploy-report.js';
import { LeaderLease } from './leader-lease.js';
import type { ControllerConfig } from './load-controller-config.js';
import { mwaaImportCheck } from './mwaa-import-check.js';
import { PipelineDeployer, scopeToFolder } from './pipeline-deployer.js';
import type { ConfigRepoPort, ControllerPorts } from './ports.js';
import { type PullRequestMemory, validatePullRequests } from './pull-requests.js';

export interface ComposeOptions {
  config: ControllerConfig;
  env: EnvOptions;
  cwd: string;
  log: Logger;
  /** The logger's live secret set: short-lived tokens obtained later are added to it. */
  secrets?: Set<string>;
  /**
   * GitHub client pacing, for in-process tests against the local GitHub server (`spaceWrites:
   * false` drops the 1 s / 3 s spacing of writes GitHub asks for; a config file sets it with
   * `github.space_writes`). Overrides the config. Default: the config's pacing.
   */
  githubPacing?: Pick<GitHubClientOptions, 'spaceWrites' | 'retryBaseMs' | 'retryAfterUnitMs'>;
}

/**
 * The composition root: builds the controller's ports from the real adapters (git cache,
 * config → render → plan → apply on the target, MWAA import check, GitHub). The only place
 * that knows which concrete classes back the ports.
 */
export function composePorts(opts: ComposeOptions): ControllerPorts & { traffic?: GitHubTraffic } {
  const { config, env, log } = opts;
  const gh = config.github ? connect(config.github, log, opts.githubPacing) : null;

  // Git over HTTP(S) authenticates with the GitHub token (an App's installation token is
  // fetched fresh per fetch); ssh and local remotes need none.
  const https = /^https?:\/\//i.test(config.repo.url);
  const cache = new GitRepoCache({
    url: config.repo.url,
    cacheDir: join(config.cache_dir, 'repo.git'),
    branch: config.repo.branch,
    childEnv: env.childEnv,
    ...(https && gh
      ? {
          auth: {
            getToken: async () => {
              const token = await gh.gitToken();
              opts.secrets?.add(token);
              return token;
            },
          },
        }
      : {}),
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
    store ??= openTarget(config.target, { options: env, cwd: opts.cwd }, extraTargetResolvers).catch(
      (err: unknown) => {
        store = null;
        throw err;
      },
    );
    return store;
  };
  const readConfigFiles = async (sha: string) =>
    scopeToFolder(await cache.readConfigFiles(sha), config.repo.path);
  const lastCommits = async (sha: string) => scopeToFolder(await cache.lastCommits(sha), config.repo.path);
  const deployer = new PipelineDeployer({
    reader: { readConfigFiles, lastCommits },
    configPath: '.',
    ...(config.repo.environment ? { environment: config.repo.environment } : {}),
    maxDeleteShare: config.prune.max_delete_share,
    allowMassDelete: config.prune.allow_mass_delete,
    openStore,
    owner: {
      repo: normaliseRepoUrl(config.repo.url),
      path: config.repo.path,
      environment: config.repo.environment ?? null,
    },
    isAncestor: (ancestor, commit) => cache.isAncestor(ancestor, commit),
  });
  const ports: ControllerPorts & { traffic?: GitHubTraffic } = { repo, deployer };
  // Suspended replicas write nothing to the target, not even a lease.
  if (config.leader_lease_seconds > 0 && !config.suspend) {
    ports.leader = new LeaderLease({ openStore, leaseMs: config.leader_lease_seconds * 1000 });
  }

  const mwaa = config.mwaa;
  const mwaaEnvironment =
    mwaa?.environment ?? (config.targetKind.kind === 'mwaa' ? config.targetKind.environment : undefined);
  if (mwaa?.verify && mwaaEnvironment) {
    ports.importCheck = mwaaImportCheck({
      connection: connectMwaa(mwaaEnvironment, env, mwaa.region),
      waitSeconds: mwaa.wait_seconds,
      unpauseNew: mwaa.unpause_new,
      triggerNew: mwaa.trigger_new,
    });
  }

  if (gh && config.github) {
    ports.traffic = gh.traffic;
    ports.rateLimit = { remaining: () => gh.traffic.lastRateLimit?.remaining ?? null };
    const ghLog = { info: (m: string) => gh.log.info(m), warn: (m: string) => gh.log.warn(m) };
    if (config.github.validate_pull_requests) {
      // PR number → last reported head and comment body, kept across polls.
      const memory: PullRequestMemory = new Map();
      ports.pullRequests = {
        async validateOpenPullRequests(ctx) {
          gh.useLogger(ctx.log);
          const result = await validatePullRequests({
            github: gh.github,
            repo: {
              sync: () => cache.sync(),
              readConfigFiles,
              // A PR is checked as if merged onto the default branch now, so a branch that
              // is behind does not show the later merges of others as its own reverts.
              async readMergedConfigFiles(sha: string) {
                const merged = await cache.readMergedConfigFiles(sha);
                return { files: scopeToFolder(merged.files, config.repo.path), base: merged.base };
              },
              // Read after the reconcile's fetch: when it moves, open PRs are checked again.
              defaultBranchSha: () => cache.defaultBranchSha(),
              // The deploy's BACKTEST_COMMIT per config, so unchanged DAGs plan no update.
              lastCommits,
            },
            // Only PRs into the branch we deploy are ours to check.
            baseBranch: config.repo.branch,
            readManifest: async () => (await (await openStore()).readManifest())?.manifest ?? null,
            readDeployedFile: async (key) => (await openStore()).get(key),
            memory,
            signal: ctx.signal,
            ...(config.repo.environment ? { environment: config.repo.environment } : {}),
            log: ghLog,
          });
          for (const f of result.failed)
            ctx.log.warn({ pr: f.pr, err: f.error }, 'pull request validation failed');
          if (result.validated > 0 || result.recreated > 0 || result.unchanged > 0) {
            ctx.log.info(
              {
                validated: result.validated,
                unchanged: result.unchanged,
                recreated: result.recreated,
                stale: result.stale,
              },
              'pull requests validated',
            );
          }
          for (const u of result.unfinished)
            ctx.log.warn({ pr: u.pr, reason: u.reason }, 'pull request check could not complete');
          return { validated: result.validated, unfinished: result.unfinished.length + result.failed.length };
        },
      };
    }
    if (config.github.report_deploys) {
      ports.deployReporter = {
        async report(report, ctx) {
          gh.useLogger(ctx.log);
          const r = await reportDeploy({ github: gh.github, log: ghLog }, report.commit, report);
          ctx.log.info(
            { commit: report.commit, ok: report.ok, statusSet: r.statusSet, pr: r.commentedOn },
            'deploy reported on GitHub',
          );
        },
      };
    }
  }
  // After a deploy, follow the runs of what it changed and report their results on the merged PR.
  if (config.results.follow && mwaaEnvironment) {
    ports.results = composeResults({
      config,
      env,
      connection: connectMwaa(mwaaEnvironment, env, mwaa?.region),
      openStore,
      readConfigFiles,
      ...(gh ? { github: gh.github } : {}),
    });
  }

  return ports;
}

function connect(
  github: NonNullable<ControllerConfig['github']>,
  log: Logger,
  pacing: ComposeOptions['githubPacing'] = {},
) {
  const app = github.auth.app;
  const auth = app
    ? {
        kind: 'app' as const,
        appId: app.appId,
        privateKey: app.privateKey,
        installationId: Number(app.installationId),
      }
    : { kind: 'token' as const, token: github.auth.token ?? '' };
  // The client is built once, but its log lines belong to the reconcile that made the call:
  // the ports point `current` at the reconcile's logger (reconciles never overlap).
  const holder = { current: log.child({ component: 'github' }) };
  const connection = connectGitHub({
    repository: github.repository,
    baseUrl: github.base_url,
    auth,
    spaceWrites: github.space_writes,
    ...pacing,
    log: {
      debug: (m) => holder.current.debug(m),
      info: (m) => holder.current.info(m),
      warn: (m) => holder.current.warn(m),
      error: (m) => holder.current.error(m),
    },
  });
  return {
    ...connection,
    get log() {
      return holder.current;
    },
    useLogger(reconcileLog: Logger) {
      holder.current = reconcileLog.child({ component: 'github' });
    },
  };
}
