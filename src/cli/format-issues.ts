import { relative, resolve } from 'node:path';
import type { ConfigIssue } from '../config/index.js';
import { parseEnv } from '../shared/env.js';
import type { CliIo } from './io.js';
import { SourceSpans, type SpanEnd } from './issue-span.js';
import { type Paint, paintFor } from './terminal-style.js';

/**
 * `file:line:column: error[code]: message`: the first line of a diagnostic, in the form that
 * editors and CI problem matchers (gcc, rustc, tsc) read, so they can jump to it.
 */
export function formatIssueLine(issue: ConfigIssue, paint: Paint = paintFor(false)): string {
  const where = paint.bold(`${issue.file}:${issue.line}:${issue.column}:`);
  const kind = issue.severity === 'error' ? paint.error : paint.warning;
  return `${where} ${kind(`${issue.severity}[${issue.code}]`)}: ${paint.bold(issue.message)}`;
}

/**
 * A whole diagnostic, as the best compilers print one: the location line, the source line
 * with a caret underline under the offending node, then the hint.
 *
 *     backtests/broken.yaml:4:1: error[unknown-key]: unknown key `stop_los_pct`
 *       |
 *     4 | stop_los_pct: 3
 *       | ^^^^^^^^^^^^
 *       = hint: did you mean `stop_loss_pct`?
 */
export function formatDiagnostic(
  issue: ConfigIssue,
  source: SourceSpans | undefined,
  paint: Paint = paintFor(false),
): string {
  const lines = [formatIssueLine(issue, paint)];
  const text = source?.lineText(issue.line);
  const gutter = ' '.repeat(String(issue.line).length);
  if (text !== undefined && source !== undefined) {
    const shown = issue.line === 1 ? text.replace(/^\uFEFF/, '') : text;
    const span = source.spanAt(issue.line, issue.column);
    const start = Math.min(issue.column - 1, shown.length);
    // A node running over several lines is underlined to the end of its first line.
    const endOnLine = span.endLine === issue.line ? span.endColumn - 1 : shown.trimEnd().length;
    const width = Math.max(1, endOnLine - start);
    // Tabs before the node stay tabs so the carets line up under it in any terminal.
    const pad = shown.slice(0, start).replace(/[^\t]/g, ' ');
    lines.push(
      paint.gutter(`${gutter} |`),
      `${paint.gutter(`${issue.line} |`)} ${shown}`,
      `${paint.gutter(`${gutter} |`)} ${pad}${paint.caret('^'.repeat(width))}`,
    );
  }
  if (issue.hint) lines.push(`${gutter} ${paint.hint('= hint:')} ${issue.hint}`);
  return `${lines.join('\n')}\n`;
}

/** The issue as `validate --format json` prints it: hint null when absent, end exclusive. */
export function issueToJson(
  issue: ConfigIssue,
  source: SourceSpans | undefined,
): {
  file: string;
  line: number;
  column: number;
  end_line: number;
  end_column: number;
  severity: 'error' | 'warning';
  code: string;
  message: string;
  hint: string | null;
} {
  const end: SpanEnd =
    source === undefined
      ? { endLine: issue.line, endColumn: issue.column + 1 }
      : source.spanAt(issue.line, issue.column);
  return {
    file: issue.file,
    line: issue.line,
    column: issue.column,
    end_line: end.endLine,
    end_column: end.endColumn,
    severity: issue.severity,
    code: issue.code,
    message: issue.message,
    hint: issue.hint ?? null,
  };
}

/**
 * The indexed source of each file, made on first use and shared by every issue of that
 * file, so printing N issues of one file parses it once, not N times.
 */
export function sourceSpansOf(files: ReadonlyMap<string, string>): (file: string) => SourceSpans | undefined {
  const made = new Map<string, SourceSpans>();
  return (file) => {
    const text = files.get(file);
    if (text === undefined) return undefined;
    let spans = made.get(file);
    if (spans === undefined) {
      spans = new SourceSpans(text);
      made.set(file, spans);
    }
    return spans;
  };
}

/**
 * Prints every issue as a diagnostic on one stream, coloured when that stream is a terminal
 * (NO_COLOR / FORCE_COLOR respected), and also as GitHub workflow commands
 * (`::error file=…,line=…,col=…::`) on stdout when running in GitHub Actions, so the
 * problems show as annotations on the pull request's files.
 */
export function printIssues(
  io: CliIo,
  issues: readonly ConfigIssue[],
  files: ReadonlyMap<string, string>,
  opts: { stream: 'stdout' | 'stderr'; repoDir: string },
): void {
  const env = parseEnv(io.env);
  const paint = paintFor(io.tty?.[opts.stream] ?? false, env.color);
  const write = opts.stream === 'stdout' ? io.stdout : io.stderr;
  const sourceOf = sourceSpansOf(files);
  for (const issue of issues) write(formatDiagnostic(issue, sourceOf(issue.file), paint));
  if (env.githubActions) {
    const workspace = env.githubWorkspace ?? io.cwd;
    for (const issue of issues) {
      const path = relative(workspace, resolve(opts.repoDir, issue.file)).split('\\').join('/');
      io.stdout(`${githubAnnotation(issue, path, sourceOf(issue.file))}\n`);
    }
  }
}

/** One `::error …::` / `::warning …::` workflow command, escaped as GitHub's toolkit does. */
export function githubAnnotation(issue: ConfigIssue, path: string, source: SourceSpans | undefined): string {
  const json = issueToJson(issue, source);
  const props = [
    `file=${escapeProperty(path)}`,
    `line=${json.line}`,
    `col=${json.column}`,
    `endLine=${json.end_line}`,
    `endColumn=${json.end_column}`,
    `title=${escapeProperty(`backtest-gitops ${issue.code}`)}`,
  ].join(',');
  const hint = issue.hint ? `\n${issue.hint}` : '';
  return `::${issue.severity} ${props}::${escapeData(`${issue.message}${hint}`)}`;
}

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
