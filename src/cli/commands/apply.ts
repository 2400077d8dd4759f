import { createInterface } from 'node:readline/promises';
import { formatPlanText } from '../../plan/format-plan.js';
import type { ApplyResult } from '../../targets/apply-plan.js';
import { applyPlan } from '../../targets/apply-plan.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { RegisterCommand } from './index.js';
import { addSyncOptions, prepareSync, reportInvalid, type SyncCliOptions } from './plan.js';

interface ApplyCliOptions extends SyncCliOptions {
  allowMassDelete?: boolean;
  concurrency: string;
  yes?: boolean;
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
    .option('--concurrency <n>', 'parallel uploads', '8')
    .option('--yes', 'do not ask for confirmation on an interactive terminal')
    .action(async (opts: ApplyCliOptions) => {
      const concurrency = Number(opts.concurrency);
      const { plan, desired, store, config } = await prepareSync(
        { ...opts, concurrency: undefined } as SyncCliOptions,
        io,
        false,
      );
      const invalid = reportInvalid(config, io);
      const changes = plan.files.filter((f) => f.action !== 'unchanged' && f.action !== 'keep').length;
      if (opts.format === 'text') io.stdout(formatPlanText(plan, store.location));
      if (changes > 0 && !opts.yes && !(await confirm(`Apply ${changes} change(s) to ${store.location}?`))) {
        io.stderr('apply cancelled; nothing was changed.\n');
        state.exitCode = ExitCode.invalid;
        return;
      }
      const result = await applyPlan(plan, desired, store, {
        concurrency: Number.isInteger(concurrency) && concurrency > 0 ? concurrency : 8,
        allowMassDelete: opts.allowMassDelete ?? false,
        adopt: opts.adopt ?? false,
        onProgress: progressPrinter(io),
      });
      io.stdout(
        opts.format === 'json' ? `${JSON.stringify(applyJson(result), null, 2)}\n` : applySummary(result),
      );
      state.exitCode =
        !result.ok && result.failed.length > 0
          ? ExitCode.error
          : invalid || !result.ok
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

/** Asks on an interactive terminal; in CI and pipes (no TTY) it proceeds, as GitOps runs unattended. */
async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return true;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
