import { BacktestGitopsError, SafetyError, UsageError } from '../shared/errors.js';
import { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';

/**
 * The one place where failures become messages and exit codes. Known errors print their
 * message and hint; anything else is a bug and prints its stack.
 */
export function handleCliError(err: unknown, io: CliIo): ExitCode {
  if (err instanceof BacktestGitopsError) {
    io.stderr(`error: ${err.message}\n`);
    if (err.hint) io.stderr(`hint: ${err.hint}\n`);
    if (err instanceof SafetyError) return ExitCode.invalid;
    return ExitCode.error;
  }
  const commanderCode = (err as { code?: string } | null)?.code;
  if (typeof commanderCode === 'string' && commanderCode.startsWith('commander.')) {
    // commander has already printed its message (unknown option, missing argument, ...).
    return commanderCode === 'commander.helpDisplayed' || commanderCode === 'commander.version'
      ? ExitCode.ok
      : ExitCode.error;
  }
  if (err instanceof UsageError) return ExitCode.error;
  io.stderr(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  io.stderr('This is a bug in backtestctl; please report it with the command you ran.\n');
  return ExitCode.error;
}
