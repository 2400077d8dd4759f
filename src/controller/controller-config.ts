import { validateDetailed } from 'node-cron';
import { z } from 'zod';

/**
 * The controller config file (`backtestctl serve --config controller.yaml`). snake_case
 * like the backtest configs; every object is strict so a typo is an error, not a silently
 * ignored setting. Secrets may be given here but are better set through the environment
 * (see src/shared/env.ts), which overrides them.
 */

const nonEmpty = z.string().trim().min(1, 'must not be empty');

const cronExpression = nonEmpty.superRefine((value, ctx) => {
  const result = validateDetailed(value);
  if (!result.valid) {
    const why = result.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    ctx.addIssue({ code: 'custom', message: `not a valid cron expression (${why || value})` });
  }
});

export const RepoSection = z.strictObject({
  /** Clone URL of the config repository (https, ssh, or a local path for tests). */
  url: nonEmpty,
  /** Default branch: what gets deployed. */
  branch: nonEmpty.default('main'),
  /** Folder inside the repository that holds `backtest-gitops.yaml` and the configs. */
  path: nonEmpty.default('.'),
  /** Environment of `backtest-gitops.yaml` whose defaults apply (e.g. `production`). */
  environment: nonEmpty.optional(),
});

export const MwaaSection = z.strictObject({
  /** MWAA environment name; defaults to the name in a `mwaa://NAME` target. */
  environment: nonEmpty.optional(),
  region: nonEmpty.optional(),
  /** Ask Airflow after each deploy whether the changed DAGs imported. */
  verify: z.boolean().default(true),
  /** How long to wait for MWAA to pick up new files before calling a DAG missing. */
  wait_seconds: z.number().int().min(0).max(3600).default(300),
  unpause_new: z.boolean().default(false),
  trigger_new: z.boolean().default(false),
});

export const GitHubAppSection = z.strictObject({
  app_id: z.union([z.number().int().positive(), nonEmpty]).optional(),
  /** PEM file (a mounted Secret); or set GITHUB_APP_PRIVATE_KEY / GITHUB_APP_PRIVATE_KEY_PATH. */
  private_key_path: nonEmpty.optional(),
  installation_id: z.union([z.number().int().positive(), nonEmpty]).optional(),
});

export const GitHubSection = z.strictObject({
  /** `owner/name` of the config repository on GitHub. */
  repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be "owner/name"'),
  /** Prefer the GITHUB_TOKEN environment variable. */
  token: nonEmpty.optional(),
  app: GitHubAppSection.optional(),
  base_url: z.url().default('https://api.github.com'),
  /** Prefer BACKTEST_GITOPS_WEBHOOK_SECRET. Enables POST /webhook. */
  webhook_secret: z.string().min(16, 'must be at least 16 characters').optional(),
  validate_pull_requests: z.boolean().default(true),
  report_deploys: z.boolean().default(true),
  /**
   * Space API writes 1 s apart and notifying writes (comments, statuses) 3 s apart, as GitHub
   * asks to stay clear of its secondary rate limits. `false` sends them as fast as they come:
   * for a GitHub Enterprise Server whose admin turned secondary rate limits off (and for
   * tests against a local server).
   */
  space_writes: z.boolean().default(true),
});

export const PruneSection = z.strictObject({
  /** Share of owned DAGs one apply may delete before it needs allow_mass_delete. */
  max_delete_share: z.number().min(0).max(1).default(0.5),
  allow_mass_delete: z.boolean().default(false),
});

export const RetrySection = z.strictObject({
  /** Attempts per reconcile step (1 = no retry). */
  attempts: z.number().int().min(1).max(10).default(3),
  initial_delay_seconds: z.number().min(0).max(300).default(1),
  max_delay_seconds: z.number().min(0).max(3600).default(30),
});

export const HttpSection = z.strictObject({
  port: z.number().int().min(0).max(65535).default(8080),
  host: nonEmpty.default('0.0.0.0'),
});

export const LogSection = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export const ResultsSection = z.strictObject({
  /** After a deploy, follow the DAG runs of the configs the merge created or changed (needs MWAA). */
  follow: z.boolean().default(true),
  /** MWAA CLI requests one reconcile may spend following runs (2 per DAG run followed, whatever its size). */
  max_requests_per_loop: z.number().int().min(2).max(1000).default(20),
  /** Results reads (S3 GETs) one reconcile may spend: metrics.json once per finished run, run-status.json once per failed run. */
  max_reads_per_loop: z.number().int().min(1).max(100_000).default(1000),
  /** A DAG that has started no run this long after its deploy is no longer waited for. */
  follow_hours: z
    .number()
    .min(1)
    .max(24 * 30)
    .default(72),
  /** Slack-compatible incoming webhook told when all runs of a merge are done. A secret: prefer BACKTEST_GITOPS_RESULTS_WEBHOOK_URL. */
  webhook_url: z.url().optional(),
});

export const ControllerConfigFile = z.strictObject({
  repo: RepoSection,
  /** `s3://bucket/prefix`, `mwaa://environment` (bucket and DAG path resolved from MWAA) or a local folder. */
  target: nonEmpty,
  mwaa: MwaaSection.optional(),
  github: GitHubSection.optional(),
  /** node-cron expression (5 fields, or 6 with seconds). */
  schedule: cronExpression.default('* * * * *'),
  prune: PruneSection.default({ max_delete_share: 0.5, allow_mass_delete: false }),
  /** What to do with files changed behind the controller's back: report them, repair them, or not look. */
  drift: z.enum(['report', 'repair', 'off']).default('report'),
  /** How often the (costlier) drift check runs even when the branch did not move. */
  drift_check_interval_seconds: z.number().int().min(0).default(600),
  /** Keep validating PRs and reporting, but apply nothing. */
  suspend: z.boolean().default(false),
  /**
   * Replicas on one target: only the holder of a lease object in the target acts; the others
   * wait, and take over when it has not been renewed for this long. 0 = no lease, every replica acts.
   */
  leader_lease_seconds: z.number().int().min(0).max(3600).default(60),
  /** Git clone and work files; a writable volume in the container. */
  cache_dir: nonEmpty.optional(),
  http: HttpSection.default({ port: 8080, host: '0.0.0.0' }),
  log: LogSection.default({ level: 'info' }),
  retry: RetrySection.default({ attempts: 3, initial_delay_seconds: 1, max_delay_seconds: 30 }),
  /** Following the runs of merged configs and reporting their results on the merged PR. */
  results: ResultsSection.default({
    follow: true,
    max_requests_per_loop: 20,
    max_reads_per_loop: 1000,
    follow_hours: 72,
  }),
  /** Time SIGTERM gives the current step before it is abandoned (keep below the pod's terminationGracePeriodSeconds). */
  shutdown_grace_seconds: z.number().min(0).max(3600).default(25),
});
export type ControllerConfigFile = z.infer<typeof ControllerConfigFile>;
