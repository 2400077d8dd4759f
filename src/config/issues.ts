import type { IssueCode } from './issue-codes.js';
import type { ConfigIssue, SourceLocation } from './types.js';

/** Builds an error issue; every issue the config module reports goes through here. */
export function configError(
  at: SourceLocation,
  code: IssueCode,
  message: string,
  hint?: string,
): ConfigIssue {
  const issue: ConfigIssue = {
    file: at.file,
    line: at.line,
    column: at.column,
    code,
    message,
    severity: 'error',
  };
  if (hint !== undefined) issue.hint = hint;
  return issue;
}

/** Builds a warning: something worth fixing that does not make a config invalid. */
export function configWarning(
  at: SourceLocation,
  code: IssueCode,
  message: string,
  hint?: string,
): ConfigIssue {
  return { ...configError(at, code, message, hint), severity: 'warning' };
}

/** The start of a file: where problems that concern a whole file are reported. */
export function fileStart(file: string): SourceLocation {
  return { file, line: 1, column: 1 };
}

/** Sorts by file, line, column and drops exact repeats (a top-level grid checked per strategy). */
export function sortAndDedupeIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  const unique: ConfigIssue[] = [];
  for (const issue of issues) {
    const key = `${issue.file}\0${issue.line}\0${issue.column}\0${issue.code}\0${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(issue);
  }
  return unique.sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column,
  );
}
