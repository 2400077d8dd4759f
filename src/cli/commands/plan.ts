import type { Command } from 'commander';
import type { ConfigRepoResult } from '../../config/types.js';
import type { NoopCheck } from '../../pipeline/render-digest.js';
import type { DesiredFile, SyncPlan } from '../../plan/types.js';
import { parseEnv } from '../../shared/env.js';
import { SafetyError, UsageError } from '../../shared/errors.js';
import { checkClaims, type DeployClaims } from '../../targets/claims.js';
import type { DagStore } from '../../targets/dag-store.js';
import { ExitCode } from '../exit-codes.js';
import { printIssues } from '../format-issues.js';
import type { CliIo } from '../io.js';
import { assertKnownEnvironment, REPO_OPTION_HELP, resolveRepoDir } from '../repo-paths.js';
import type { RegisterCommand } from './index.js';

/** Options shared by `plan` and `apply`. */
export interface SyncCliOptions {
  repo?: string;
  target: string;
  format: 'text' | 'json';
  environment?: string;
  checkDrift?: boolean;
  adopt?: boolean;
  maxDeleteShare?: string;
  s3Endpoint?: string;
  sseKmsKeyId?: string;
}

export interface PreparedSync {
  plan: SyncPlan;
  desired: DesiredFile[];
  store: DagStore;
  config: ConfigRepoResult;
  /** The config repository's files and root, for printing issues with their source lines. */
  files: ReadonlyMap<string, string>;
  repoDir: string;
  /** Owner and ancestry for ordered, owned deploys (apply adds --force-commit). */
  claims: Required<Pick<DeployClaims, 'owner' | 'isAncestor'>>;
  /** The render digest and the one the target stored (apply records it when it converges). */
  digest: { value: string; stored?: string | null };
}

/** The target's stored render digest matched: nothing was validated, rendered or planned. */
export interface NoopSync {
  noop: true;
  store: DagStore;
  commit: string;
}

/** The one line plan and apply print when the no-op check skipped everything. */
export function noopText(store: DagStore, commit: string): string {
  return (
    `Plan for ${store.location} (config commit ${commit.slice(0, 12)}):\n` +
    '  no changes: the target was deployed from exactly these configs, settings and renderer ' +
    '(render digest matches; nothing validated or rendered; --check-drift compares every file).\n'
  );
}

export function addSyncOptions(cmd: Command): Command {
  return cmd
    .option('--repo <dir>', REPO_OPTION_HELP)
    .requiredOption(
      '--target <target>',
      'where DAGs go: a folder, file://DIR, s3://BUCKET/PREFIX or mwaa://ENV',
    )
    .option('--format <format>', 'text or json', 'text')
    .option('--environment <name>', 'environment in backtest-gitops.yaml whose defaults apply')
    .option(
      '--check-drift',
      'also compare every owned file with the target (S3: one LIST request per 1,000 objects) and plan repairs for drift',
    )
    .option('--adopt', 'take over unowned files at keys we want to write')
    .option('--max-delete-share <share>', 'share of owned DAGs one apply may delete (0..1)', '0.5')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint (else AWS_ENDPOINT_URL_S3)')
    .option('--sse-kms-key-id <key>', 'encrypt written objects with this KMS key (SSE-KMS)');
}

/** The CLI side of the one pipeline: options → repo files, target, identity → prepareSync (src/pipeline). */
export async function prepareSync(
  opts: SyncCliOptions,
  io: CliIo,
  withDiffs: boolean,
  forceCommit = false,
): Promise<PreparedSync | NoopSync> {
  if (opts.format !== 'text' && opts.format !== 'json')
    throw new UsageError(`unknown --format ${opts.format}`, 'use text or json');
  const share = Number(opts.maxDeleteShare ?? '0.5');
  if (!(share >= 0 && share <= 1))
    throw new UsageError(`--max-delete-share must be between 0 and 1, got ${opts.maxDeleteShare}`);
  const repoDir = await resolveRepoDir(io.cwd, opts.repo);
  // Only what the no-op check needs loads first: the target (the S3 client for its one HEAD),
  // git, and the digest. Validation and rendering load after it, when there is work to do.
  const [{ checkNoop }, { openTarget }, { extraTargetResolvers }, { readRepoIdentity }, { readRepoSource }] =
    await Promise.all([
      import('../../pipeline/render-digest.js'),
      import('../../targets/open-target.js'),
      import('../../mwaa/target-resolvers.js'),
      import('../repo-identity.js'),
      import('../repo-source.js'),
    ]);
  const env = parseEnv(io.env);
  const store = await openTarget(
    opts.target,
    {
      options: env,
      cwd: io.cwd,
      ...(opts.s3Endpoint ? { s3Endpoint: opts.s3Endpoint } : {}),
      ...(opts.sseKmsKeyId ? { sseKmsKeyId: opts.sseKmsKeyId } : {}),
    },
    extraTargetResolvers,
  );
  const [identity, source] = await Promise.all([
    readRepoIdentity(repoDir, env.childEnv),
    readRepoSource(repoDir, env.childEnv, opts.repo ?? repoDir),
  ]);
  const claims = {
    owner: { ...identity.owner, environment: opts.environment ?? null, target: store.location },
    isAncestor: identity.isAncestor,
  };
  // The no-op check (one HEAD, no body): the same configs, settings, environment, owner and
  // renderer as the last apply that converged mean nothing to validate, render or plan. A
  // clean git work tree is named by git's ids, so nothing is even read. A drift check,
  // --adopt or --force-commit asks for more than that, so they take the full path.
  const check: NoopCheck = await checkNoop(
    store,
    source.digest({ environment: opts.environment ?? null, owner: claims.owner }),
    (opts.checkDrift ?? false) || (opts.adopt ?? false) || forceCommit,
  );
  if (check.skip) return { noop: true, store, commit: identity.commit };
  const [{ files, commits }, { prepareSync: prepare }] = await Promise.all([
    source.inputs(),
    import('../../pipeline/prepare-sync.js'),
  ]);
  // The one pipeline (src/pipeline): after a crash the announced keys are read back so the
  // plan shows the truth; old contents only for the diffs a human reads, never on apply.
  const { plan, desired, config } = await prepare({
    files,
    commits,
    environment: opts.environment,
    store,
    commit: identity.commit,
    maxDeleteShare: share,
    adopt: opts.adopt ?? false,
    pending: true,
    drift: opts.checkDrift ? 'repair' : 'off',
    diffs: withDiffs,
  });
  // A mistyped --environment is a usage error before anything is written, as for validate.
  assertKnownEnvironment(config);
  return { plan, desired, store, config, files, repoDir, claims, digest: check.digest };
}

/** Reports configs that failed validation (their DAGs are kept); returns true if there were any. */
export function reportInvalid(
  { config, files, repoDir }: Pick<PreparedSync, 'config' | 'files' | 'repoDir'>,
  io: CliIo,
): boolean {
  const errors = config.issues.filter((i) => i.severity === 'error');
  printIssues(io, errors, files, { stream: 'stderr', repoDir });
  if (config.invalidFiles.length > 0) {
    io.stderr(
      `${config.invalidFiles.length} config file(s) invalid; their deployed DAGs are kept as they are.\n`,
    );
  }
  return config.invalidFiles.length > 0;
}

/** The owner and ordering rules apply would enforce, said by plan before anyone runs apply. */
async function refusal({ plan, store, claims }: PreparedSync, io: CliIo): Promise<boolean> {
  if (!plan.base.manifest) return false;
  try {
    await checkClaims(plan.base.manifest, plan.commit, store.location, claims);
    return false;
  } catch (err) {
    if (!(err instanceof SafetyError)) throw err;
    io.stderr(`apply would be refused: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
    return true;
  }
}

/** Files an apply of this plan would write or delete. */
export function plannedChanges(plan: SyncPlan): number {
  return plan.files.filter((f) => f.action !== 'unchanged' && f.action !== 'keep').length;
}

export const registerPlan: RegisterCommand = (program, io, state) => {
  addSyncOptions(
    program
      .command('plan')
      .description('Show what apply would create, update and delete in the target (changes nothing).'),
  )
    .option(
      '--detailed-exitcode',
      'exit 0 when nothing would change, 2 when apply would change something, 1 on any error',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ backtestctl plan --target ./out/dags
  $ backtestctl plan --target s3://my-dag-bucket/dags --format json
  $ backtestctl plan --target mwaa://research-prod --detailed-exitcode   # in CI: 2 means "apply needed"

Exit codes: 0 ok, 1 invalid configs or a plan a safety rule refuses, 2 usage or I/O error.
With --detailed-exitcode (as terraform plan): 0 no changes, 2 changes, 1 any error.`,
    )
    .action(async (opts: SyncCliOptions & { detailedExitcode?: boolean }) => {
      // Terraform's convention: with --detailed-exitcode every failure is 1, since 2 means "changes".
      if (opts.detailedExitcode) state.errorExitCode = ExitCode.invalid;
      const prepared = await prepareSync(opts, io, opts.format === 'text');
      if ('noop' in prepared) {
        io.stdout(opts.format === 'json' ? noopJson() : noopText(prepared.store, prepared.commit));
        state.exitCode = ExitCode.ok;
        return;
      }
      const { formatPlanText, planJson } = await import('../../plan/format-plan.js');
      const { plan, store } = prepared;
      io.stdout(opts.format === 'json' ? planJson(plan) : formatPlanText(plan, store.location));
      const invalid = reportInvalid(prepared, io);
      const refused = await refusal(prepared, io);
      state.exitCode =
        invalid || refused || plan.massDelete
          ? ExitCode.invalid
          : opts.detailedExitcode && plannedChanges(plan) > 0
            ? ExitCode.changes
            : ExitCode.ok;
    });
};

/** plan --format json when the no-op check skipped: nothing to do; `unchanged` was not counted. */
export function noopJson(): string {
  return `${JSON.stringify({ create: [], update: [], delete: [], unchanged: null, keep: [], repair: [], no_op: true }, null, 2)}\n`;
}
