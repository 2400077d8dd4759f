/** Exit codes of every `backtestctl` command; documented in `--help` and the README. */
export const ExitCode = {
  /** Everything valid / applied. */
  ok: 0,
  /** Configs are invalid, a plan was refused by a safety rule, or a deploy check failed. */
  invalid: 1,
  /** Usage error, I/O error, unreachable service. */
  error: 2,
  /** `plan --detailed-exitcode` only: the plan has changes (errors are then 1). */
  changes: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
