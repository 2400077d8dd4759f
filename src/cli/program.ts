import { Command } from 'commander';
import { VERSION } from '../shared/version.js';
import { type CommandState, registerCommands } from './commands/index.js';
import { ExitCode } from './exit-codes.js';
import { handleCliError } from './handle-error.js';
import type { CliIo } from './io.js';

/**
 * Builds the `backtestctl` program. Each command's action stores its exit code in
 * `state.exitCode`; errors thrown by actions are mapped by handleCliError.
 */
export function buildProgram(io: CliIo, state: CommandState): Command {
  const program = new Command('backtestctl')
    .description(
      'GitOps for backtests on Apache Airflow / AWS MWAA: validate configs, render DAGs, plan and apply them.\n\n' +
        'Exit codes: 0 ok, 1 invalid configs or refused plan, 2 usage or I/O error\n' +
        '(plan --detailed-exitcode: 0 no changes, 2 changes, 1 any error).\n\n' +
        'Shell completion: source <(backtestctl completion bash)   # or zsh',
    )
    .version(VERSION, '-V, --version')
    .showHelpAfterError()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  registerCommands(program, io, state);
  for (const cmd of program.commands) cmd.exitOverride();
  sentenceCaseDescriptions(program);
  return program;
}

/**
 * One house style for `--help`, whoever wrote the command: a command's description is a
 * sentence (capital letter, full stop); option and argument help stays lowercase, as
 * commander's own `display help for command` is.
 */
function sentenceCaseDescriptions(command: Command): void {
  for (const sub of command.commands) {
    const text = sub.description().trim();
    if (text) {
      const capital = text.charAt(0).toUpperCase() + text.slice(1);
      sub.description(/[.!?]$/.test(capital) ? capital : `${capital}.`);
    }
    sentenceCaseDescriptions(sub);
  }
}

/** Runs the CLI with the given argv (without `node` and the script path). */
export async function runCli(argv: string[], io: CliIo): Promise<ExitCode> {
  const state: CommandState = { exitCode: ExitCode.ok };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (err) {
    // catch-all: the CLI's one error handler: typed errors become messages and exit codes, the rest "internal error".
    const code = handleCliError(err, io);
    return code !== ExitCode.ok && state.errorExitCode !== undefined ? state.errorExitCode : code;
  }
}
