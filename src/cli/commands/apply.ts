import { createInterface } from 'node:readline/promises';
import { UsageError } from '../../shared/errors.js';
import type { ApplyResult } from '../../targets/apply-plan.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { RegisterCommand } from './index.js';
import { addSyncOptions, noopText, prepareSync, reportInvalid, type SyncCliOptions } from './plan.js';

interface ApplyCliOptions extends SyncCliOptions {
  allowMassDelete?: boolean;
  concurrency: string;
  yes?: boolean;
  verify?: boolean;
  waitSeconds: string;
  unpauseNew?: boolean;
  triggerNew?: boolean;
  forceCommit?: boolean;
}

export const registerApply: RegisterCommand = (program, io, state) => {
  addSyncOptions(
    program
      .command('apply')
      .description(
        'render the configs and write only what changed to the target; never touches files it does not own',
      ),
  )
    .option('--allow-mass-delete', 'allow deleting more than --max-delete-share of the owned DAGs')
    .option(
      '--force-commit',
      'deploy even if the target has a commit deployed that this one does not descend from (a deliberate rollback)',
    )
    .option('--concurrency <n>', 'parallel uploads', '8')
    .option('--yes', 'apply without asking; required when not run from a terminal (scripts, CI)')
    .option('--no-verify', 'mwaa:// targets: do not ask Airflow whether the changed DAGs imported')
    .option('--wait-seconds <n>', 'mwaa:// targets: how long to wait for MWAA to import changed DAGs', '300')
    .option('--unpause-new', 'mwaa:// targets: unpause newly created DAGs once they imported')
    .option('--trigger-new', 'mwaa:// targets: trigger newly created DAGs once after they imported')
    .action(async (opts: ApplyCliOptions) => {
      // As terraform's -auto-approve: nobody can answer the question in a script or in CI, so
      // an unattended apply must say it means it, before anything is read or written.
      if (!opts.yes && !io.interactive) {
        throw new UsageError(
          'apply changes the target and asks first, but there is no terminal to ask on',
          'pass --yes to apply without asking (scripts and CI), or run `backtestctl plan` to only look',
        );
      }
      const concurrency = Number(opts.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
        throw new UsageError(`--concurrency must be a whole number from 1 to 256, got ${opts.concurrency}`);
      }
      const waitSeconds = Number(opts.waitSeconds);
      if (opts.waitSeconds.trim() === '' || !Number.isFinite(waitSeconds) || waitSeconds < 0) {
        throw new UsageError(
          `--wait-seconds must be a number of seconds (0 or more), got ${opts.waitSeconds}`,
        );
      }
      const prepared = await prepareSync(opts, io, false, opts.forceCommit ?? false);
      if ('noop' in prepared) {
        // One HEAD said the target is what these configs render: nothing to write or check.
        io.stdout(
          opts.format === 'json'
            ? `${JSON.stringify(noopApplyJson(prepared.commit, prepared.store.location), null, 2)}\n`
            : `${noopText(prepared.store, prepared.commit)}Applied nothing: no changes.\n`,
        );
        state.exitCode = ExitCode.ok;
        return;
      }
      const [{ formatPlanText }, { applyPlan }] = await Promise.all([
        import('../../plan/format-plan.js'),
        import('../../targets/apply-plan.js'),
      ]);
      const { plan, desired, store, claims } = prepared;
      const invalid = reportInvalid(prepared, io);
      const changes = plan.files.filter((f) => f.action !== 'unchanged' && f.action !== 'keep').length;
      if (opts.format === 'text') io.stdout(formatPlanText(plan, store.location));
      if (changes > 0 && !opts.yes && !(await confirm(`Apply ${changes} change(s) to ${store.location}?`))) {
        io.stderr('apply cancelled; nothing was changed.\n');
        state.exitCode = ExitCode.invalid;
        return;
      }
      const result = await applyPlan(plan, desired, store, {
        concurrency,
        allowMassDelete: opts.allowMassDelete ?? false,
        adopt: opts.adopt ?? false,
        ...claims,
        forceCommit: opts.forceCommit ?? false,
        digest: prepared.digest,
        onProgress: progressPrinter(io),
      });
      const { checkApplyImport, formatImportCheck } = await import('../../mwaa/apply-check.js');
      // The files are written whatever the check says: a failing check must not hide the apply.
      let checkError: unknown = null;
      const check =
        opts.verify === false
          ? null
          : await checkApplyImport(store, result, {
              waitSeconds,
              unpauseNew: opts.unpauseNew ?? false,
              triggerNew: opts.triggerNew ?? false,
              log: (line) => io.stderr(`${line}\n`),
            }).catch((err: unknown) => {
              checkError = err;
              return null;
            });
      io.stdout(
        opts.format === 'json'
          ? `${JSON.stringify({ ...applyJson(result), ...(check ? { import_check: check } : {}) }, null, 2)}\n`
          : applySummary(result) + (check ? formatImportCheck(check) : ''),
      );
      if (checkError) throw checkError;
      const importFailed = check !== null && check.state !== 'confirmed' && check.state !== 'deferred';
      state.exitCode =
        !result.ok && result.failed.length > 0
          ? ExitCode.error
          : invalid || !result.ok || importFailed
            ? ExitCode.invalid
            : ExitCode.ok;
    });
};

/** Progress on stderr for large applies: about every 10%, never per file. */
function progressPrinter(io: CliIo): (done: number, total: number, key: string) => void {
  let shown = 0;
  return (done, total) => {
    if (total < 20) return;
    const step = Math.ceil(total / 10);
    if (done === total || done - shown >= step) {
      shown = done;
      io.stderr(`  ${done}/${total} files (${Math.round((done / total) * 100)}%)\n`);
    }
  };
}

function applySummary(r: ApplyResult): string {
  const count = (a: string) => r.files.filter((f) => f.action === a && f.status === 'done').length;
  const lines = [
    `Applied commit ${r.commit.slice(0, 12)} to ${r.target}: ${count('create')} created, ${count('update')} updated, ` +
      `${count('repair')} repaired, ${count('delete')} deleted, ${r.kept.length} kept (invalid config).`,
    `Requests: ${r.writes} object writes, ${r.deletes} deletes, ${r.manifestWrites} manifest writes` +
      (r.attempts > 1
        ? `, ${r.attempts} rounds (re-planned after a concurrent writer or failed writes).`
        : '.'),
  ];
  for (const c of r.conflicts) lines.push(`! conflict ${c.key}: ${c.error}`);
  for (const f of r.failed) lines.push(`! failed ${f.key}: ${f.error}`);
  return `${lines.join('\n')}\n`;
}

function applyJson(r: ApplyResult) {
  return {
    ok: r.ok,
    commit: r.commit,
    target: r.target,
    ...r.plan.summary,
    conflicts: r.conflicts.map((c) => c.key),
    failed: r.failed.map((f) => ({ key: f.key, error: f.error ?? null })),
    requests: { writes: r.writes, deletes: r.deletes, manifest_writes: r.manifestWrites, rounds: r.attempts },
  };
}

/** `apply --format json` after a no-op check: the same fields as a run that changed nothing. */
function noopApplyJson(commit: string, target: string) {
  return {
    ok: true,
    commit,
    target,
    create: [],
    update: [],
    delete: [],
    unchanged: null,
    keep: [],
    repair: [],
    conflicts: [],
    failed: [],
    requests: { writes: 0, deletes: 0, manifest_writes: 0, rounds: 0 },
    no_op: true,
  };
}

/** Asks on the terminal (the action has already refused to run without one unless --yes). */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
