/**
 * Typed errors shared by every component. Each carries a message a researcher or
 * operator can act on, the resource it concerns, and the original cause. Entry points
 * (the CLI, the controller) map them to exit codes and log lines in one place.
 */
export abstract class BacktestGitopsError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The user called us wrong: bad flag, missing file, unknown target scheme. Exit code 2. */
export class UsageError extends BacktestGitopsError {
  readonly code = 'usage';
}

/** A render input that cannot be turned into a DAG (should be caught by validation first). */
export class RenderError extends BacktestGitopsError {
  readonly code = 'render';
}

/** A DAG target (local folder, S3 bucket) refused or failed an operation. */
export class TargetError extends BacktestGitopsError {
  readonly code: string;
  constructor(
    message: string,
    readonly resource: string,
    opts: { code?: string; hint?: string; cause?: unknown } = {},
  ) {
    super(message, opts.hint, { cause: opts.cause });
    this.code = opts.code ?? 'target';
  }
}

/** Somebody else wrote the manifest between our read and our write. Apply re-plans. */
export class ManifestConflictError extends TargetError {
  constructor(resource: string, cause?: unknown) {
    super(`the manifest at ${resource} was changed by another writer`, resource, {
      code: 'manifest-conflict',
      hint: 'another controller or apply ran at the same time; re-plan and retry',
      cause,
    });
  }
}

/** A plan the safety rules refuse to execute without an explicit flag. */
export class SafetyError extends BacktestGitopsError {
  readonly code: string;
  constructor(message: string, code: string, hint?: string) {
    super(message, hint);
    this.code = code;
  }
}

export class MwaaError extends BacktestGitopsError {
  readonly code: string;
  constructor(message: string, opts: { code?: string; hint?: string; cause?: unknown } = {}) {
    super(message, opts.hint, { cause: opts.cause });
    this.code = opts.code ?? 'mwaa';
  }
}

export class GitError extends BacktestGitopsError {
  readonly code = 'git';
}

export class GitHubApiError extends BacktestGitopsError {
  readonly code = 'github';
  constructor(
    message: string,
    readonly status?: number,
    opts: { hint?: string; cause?: unknown } = {},
  ) {
    super(message, opts.hint, { cause: opts.cause });
  }
}

export class ControllerConfigError extends BacktestGitopsError {
  readonly code = 'controller-config';
  constructor(readonly problems: string[]) {
    super(`invalid controller config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
