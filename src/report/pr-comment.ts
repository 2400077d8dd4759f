import type { ConfigIssue } from '../config/types.js';
import type { PlannedFile } from '../plan/types.js';
import { type CappedIssues, capIssues, ISSUES_PER_FILE, ISSUES_PER_PR } from './issue-caps.js';
import { blobLink, code, escapeText, fenced, messageText, plural, short } from './markdown.js';
import { dagCount, totalRuns } from './status-description.js';
import type { ValidationReport } from './types.js';

/** GitHub rejects comment bodies longer than this. */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** Room left for the sticky marker the GitHub adapter prepends, and for safety. */
const RESERVED = 512;

interface Budget {
  /** Keys whose diff/content is shown. */
  diffs: Set<string>;
  maxIssues: number;
  maxRows: number;
}

/**
 * The sticky PR comment: verdict, issues as `file:line:column` with hints and links to the
 * lines at the head SHA, the plan with runs per DAG, and rendered diffs in `<details>`.
 * Always under GitHub's limit: rendered diffs go first (largest first); then errors are
 * kept before plan rows, and warnings only in the room left. Every cut says how much.
 */
export function renderPrComment(report: ValidationReport, opts: { maxChars?: number } = {}): string {
  const limit = (opts.maxChars ?? GITHUB_COMMENT_LIMIT) - RESERVED;
  const files = report.plan?.files ?? [];
  const withBody = files.filter((f) => bodyOf(report, f) !== null);
  const lists = issueLists(report);
  const listed = lists.error.shown.length + lists.warning.shown.length;
  const budget: Budget = {
    diffs: new Set(withBody.map((f) => f.key)),
    maxIssues: listed,
    maxRows: files.length,
  };
  let body = compose(report, budget, lists);
  if (body.length <= limit) return body;
  // Drop rendered files, largest first, measuring their blocks instead of re-rendering.
  const bySize = withBody
    .map((f) => ({ key: f.key, size: diffBlock(report, f).length + 1 }))
    .sort((a, b) => b.size - a.size || (a.key < b.key ? -1 : 1));
  let excess = body.length - limit + OMISSION_NOTE_ROOM;
  for (const { key, size } of bySize) {
    if (excess <= 0) break;
    budget.diffs.delete(key);
    excess -= size;
  }
  // Then keep, in order: the listed errors, as many plan rows as fit, warnings in what is left.
  const errors = lists.error.shown.length;
  const fits = (maxIssues: number, maxRows: number) =>
    compose(report, { ...budget, maxIssues, maxRows }, lists).length <= limit;
  budget.maxRows = largestFitting(files.length, (n) => fits(errors, n));
  budget.maxIssues = largestFitting(listed, (n) => fits(n, budget.maxRows));
  body = compose(report, budget, lists);
  return body.length <= limit ? body : `${body.slice(0, limit - 40)}\n\n… (comment truncated)\n`;
}

const OMISSION_NOTE_ROOM = 200;

/** The largest n in [0, max] with fits(n), assuming fits is monotone (binary search). */
function largestFitting(max: number, fits: (n: number) => boolean): number {
  if (fits(max)) return max;
  let lo = 0;
  let hi = max;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function compose(r: ValidationReport, budget: Budget, lists: IssueLists): string {
  const out: string[] = [`<!-- backtest-gitops:head=${r.headSha} -->`];
  out.push(verdict(r), '');
  const against = r.baseSha
    ? ` against the deployed ${code(short(r.baseSha))}`
    : ' against the deployed DAGs';
  const merged = r.mergedOnto ? ` merged onto ${code(short(r.mergedOnto))}` : '';
  out.push(`Checked ${code(short(r.headSha))}${merged}${against}.`);
  if (r.fromFork)
    out.push('This pull request comes from a fork: it was validated only; nothing from it is executed.');
  if (r.failure) out.push('', `**The check could not finish:** ${messageText(r.failure)}`);
  const errorsShown = Math.min(budget.maxIssues, lists.error.shown.length);
  append(out, issueSection('error', lists.error, errorsShown, r));
  append(out, issueSection('warning', lists.warning, Math.max(0, budget.maxIssues - errorsShown), r));
  append(out, planSection(r, budget));
  append(out, diffSection(r, budget));
  return `${out.join('\n')}\n`;
}

/** `out.push(...lines)` without the spread: a long array overflows the call stack. */
function append(out: string[], lines: readonly string[]): void {
  for (const line of lines) out.push(line);
}

function verdict(r: ValidationReport): string {
  const errors = r.issues.filter((i) => i.severity === 'error');
  if (r.failure) return '### ❌ backtest-gitops: check failed';
  if (errors.length === 0) return '### ✅ backtest-gitops: configs are valid';
  const files = new Set(errors.map((e) => e.file)).size;
  return `### ❌ backtest-gitops: ${plural(errors.length, 'error')} in ${plural(files, 'config')}`;
}

/** Issues listed in the open before the rest is folded into a `<details>`. */
const VISIBLE_ISSUES = 20;
/** Per-file "and N more in FILE" notes are written for at most this many files. */
const FILE_NOTES = 50;

interface IssueList extends CappedIssues {
  /** Issues of this severity in all, and per file. */
  total: number;
  perFile: Map<string, number>;
}
type IssueLists = Record<ConfigIssue['severity'], IssueList>;

function issueLists(r: ValidationReport): IssueLists {
  const bySeverity = (severity: ConfigIssue['severity'], perPr: number): IssueList => {
    const all = r.issues.filter((i) => i.severity === severity);
    const perFile = new Map<string, number>();
    for (const i of all) perFile.set(i.file, (perFile.get(i.file) ?? 0) + 1);
    return { ...capIssues(all, ISSUES_PER_FILE, perPr), total: all.length, perFile };
  };
  const error = bySeverity('error', ISSUES_PER_PR);
  return { error, warning: bySeverity('warning', Math.max(0, ISSUES_PER_PR - error.shown.length)) };
}

function issueSection(
  severity: ConfigIssue['severity'],
  list: IssueList,
  room: number,
  r: ValidationReport,
): string[] {
  if (list.total === 0) return [];
  const shown = list.shown.slice(0, room);
  const lines = ['', `#### ${severity === 'error' ? 'Errors' : 'Warnings'}`, ''];
  const shownPerFile = new Map<string, number>();
  for (const i of shown) shownPerFile.set(i.file, (shownPerFile.get(i.file) ?? 0) + 1);
  let notes = 0;
  let noted = 0;
  for (let k = 0; k < shown.length; k += 1) {
    const i = shown[k] as ConfigIssue;
    if (k === VISIBLE_ISSUES) {
      lines.push('', `<details><summary>${plural(shown.length - k, `more ${severity}`)}</summary>`, '');
    }
    const where = `${i.file}:${i.line}:${i.column}`;
    const loc = r.links ? `[${code(where)}](${blobLink(r.links, r.headSha, i.file, i.line)})` : code(where);
    const hint = i.hint ? ` — ${messageText(i.hint)}` : '';
    lines.push(`- ${loc} ${code(i.code)}: ${messageText(i.message)}${hint}`);
    const next = shown[k + 1];
    if (next?.file === i.file) continue;
    const left = (list.perFile.get(i.file) ?? 0) - (shownPerFile.get(i.file) ?? 0);
    if (left > 0 && notes < FILE_NOTES) {
      lines.push(`- … and ${plural(left, `more ${severity}`)} in ${code(i.file)}`);
      notes += 1;
      noted += left;
    }
  }
  if (shown.length > VISIBLE_ISSUES) lines.push('', '</details>');
  const unlisted = list.total - shown.length - noted;
  if (unlisted > 0) {
    lines.push(
      '',
      `… ${plural(unlisted, `more ${severity}`)} not listed (at most ${ISSUES_PER_FILE} per config and ${ISSUES_PER_PR} per pull request fit in a comment); run \`backtestctl validate\` to see all.`,
    );
  }
  return lines;
}

/** Plan tables longer than this are folded into a `<details>` (the summary line stays open). */
const FOLD_ROWS = 20;

function planSection(r: ValidationReport, budget: Budget): string[] {
  const plan = r.plan;
  if (!plan) return [];
  const rows = plan.files.filter((f) => f.dag_id !== null);
  const changed = rows.filter((f) => f.action !== 'unchanged');
  const lines = ['', '#### Plan', ''];
  const s = plan.summary;
  lines.push(
    `**${s.create.length} to create, ${s.update.length} to update, ${s.delete.length} to delete, ${s.unchanged.length} unchanged` +
      `${s.keep.length ? `, ${s.keep.length} kept` : ''}** — ` +
      `${plural(totalRuns(r), 'run')} in ${plural(dagCount(r), 'DAG')} after merge.`,
  );
  if (plan.massDelete)
    lines.push(
      '',
      '⚠️ This deletes more DAGs than the safety share allows; the deploy will refuse it without an explicit flag.',
    );
  if (changed.length === 0) {
    lines.push('', 'No DAG changes.');
    return lines;
  }
  const shown = changed.slice(0, budget.maxRows);
  const folded = shown.length > FOLD_ROWS;
  if (folded) lines.push('', `<details><summary>${plural(shown.length, 'DAG change')}</summary>`);
  lines.push('', '| DAG | change | runs | config |', '|---|---|---:|---|');
  for (const f of shown) {
    const runs = f.action === 'delete' ? '—' : String(f.runs);
    const reason = f.reason ? ` (${messageText(f.reason)})` : '';
    lines.push(
      `| ${code(f.dag_id ?? f.key)} | ${f.action}${reason} | ${runs} | ${f.source ? code(f.source) : '—'} |`,
    );
  }
  if (folded) lines.push('', '</details>');
  if (shown.length < changed.length)
    lines.push('', `… ${plural(changed.length - shown.length, 'more DAG change')} omitted.`);
  return lines;
}

function diffSection(r: ValidationReport, budget: Budget): string[] {
  const files = (r.plan?.files ?? []).filter((f) => bodyOf(r, f) !== null);
  if (files.length === 0) return [];
  const lines = ['', '#### Rendered changes', ''];
  let omitted = 0;
  for (const f of files) {
    if (!budget.diffs.has(f.key)) {
      omitted += 1;
      continue;
    }
    lines.push(diffBlock(r, f));
  }
  if (omitted > 0) {
    lines.push(
      '',
      `${plural(omitted, 'rendered file')} omitted to fit GitHub's comment limit; run \`backtestctl pr check\` to see them.`,
    );
  }
  return lines;
}

function diffBlock(r: ValidationReport, f: PlannedFile): string {
  const lang = f.action === 'create' ? 'python' : 'diff';
  const summary = `<details><summary>${escapeText(f.key)} (${f.action})</summary>`;
  return [summary, '', fenced(lang, bodyOf(r, f) ?? ''), '', '</details>'].join('\n');
}

function bodyOf(r: ValidationReport, f: PlannedFile): string | null {
  if (f.diff) return f.diff;
  if (f.action === 'create') return r.created?.[f.key] ?? null;
  return null;
}
