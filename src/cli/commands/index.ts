import type { Command } from 'commander';
import type { ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { registerApply } from './apply.js';
import { registerCompletion } from './completion.js';
import { registerExpand } from './expand.js';
import { registerInit } from './init.js';
import { registerMwaa } from './mwaa.js';
import { registerPlan } from './plan.js';
import { registerPr } from './pr.js';
import { registerRender } from './render.js';
import { registerResults } from './results.js';
import { registerSchema } from './schema.js';
import { registerServe } from './serve.js';
import { registerValidate } from './validate.js';

/**
 * What a command reports back to runCli: its exit code, and optionally the code that an
 * error it throws maps to (plan --detailed-exitcode makes every error 1).
 */
export interface CommandState {
  exitCode: ExitCode;
  errorExitCode?: ExitCode;
}

/** A `backtestctl` sub-command: adds itself to the program and sets `state.exitCode`. */
export type RegisterCommand = (program: Command, io: CliIo, state: CommandState) => void;

// One line per command module; keep in the order `--help` should list them.
const commands: RegisterCommand[] = [
  registerInit,
  registerValidate,
  registerExpand,
  registerSchema,
  registerRender,
  registerPlan,
  registerApply,
  registerMwaa,
  registerResults,
  registerPr,
  registerServe,
  registerCompletion,
];

export function registerCommands(program: Command, io: CliIo, state: CommandState): void {
  for (const register of commands) register(program, io, state);
}
