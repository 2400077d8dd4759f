import type { ConfigIssue } from '../config/index.js';

/** `file:line:column: error code: message (hint)`, as compilers print, so editors can jump to it. */
export function formatIssueLine(issue: ConfigIssue): string {
  const hint = issue.hint ? ` (${issue.hint})` : '';
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.severity} ${issue.code}: ${issue.message}${hint}`;
}

/** The issue as `validate --format json` prints it: exactly these keys, hint null when absent. */
export function issueToJson(issue: ConfigIssue): {
  file: string;
  line: number;
  column: number;
  code: string;
  message: string;
  hint: string | null;
} {
  return {
    file: issue.file,
    line: issue.line,
    column: issue.column,
    code: issue.code,
    message: issue.message,
    hint: issue.hint ?? null,
  };
}
