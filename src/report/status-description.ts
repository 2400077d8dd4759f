import type { DeployReport } from '../mwaa/deploy-report.js';
import { escapeUserText } from './escape.js';
import { plural } from './markdown.js';
import type { ValidationReport } from './types.js';

/** GitHub's limit for a commit status description. */
export const STATUS_DESCRIPTION_MAX = 140;

/** One line for `backtest-gitops/validate` (<= 140 characters). */
export function statusDescription(report: ValidationReport): string {
  const errors = report.issues.filter((i) => i.severity === 'error');
  if (report.failure) return clip(`Check failed: ${report.failure}`);
  if (errors.length > 0) {
    const files = new Set(errors.map((e) => e.file)).size;
    const first = errors[0];
    const where = first ? ` — ${first.file}:${first.line}: ${first.message}` : '';
    return clip(`${plural(errors.length, 'error')} in ${plural(files, 'config')}${where}`);
  }
  const s = report.plan?.summary;
  if (!s) return 'Configs valid';
  const runs = totalRuns(report);
  const changes = [
    s.create.length ? `${s.create.length} to create` : '',
    s.update.length ? `${s.update.length} to update` : '',
    s.delete.length ? `${s.delete.length} to delete` : '',
  ].filter(Boolean);
  return clip(
    `Valid: ${changes.length ? changes.join(', ') : 'no DAG changes'}; ${plural(runs, 'run')} in ${plural(dagCount(report), 'DAG')}`,
  );
}

/** One line for `backtest-gitops/deploy` (<= 140 characters). */
export function deployStatusDescription(report: DeployReport): string {
  return clip(report.summary || (report.ok ? 'Deployed' : 'Deploy failed'));
}

/** Runs the DAGs would execute after the change (created, updated, unchanged, kept). */
export function totalRuns(report: ValidationReport): number {
  return (report.plan?.files ?? [])
    .filter((f) => f.dag_id !== null && f.action !== 'delete')
    .reduce((sum, f) => sum + f.runs, 0);
}

export function dagCount(report: ValidationReport): number {
  return (report.plan?.files ?? []).filter((f) => f.dag_id !== null && f.action !== 'delete').length;
}

/** One line of plain text: user parts (paths, messages) pass the one escaping rule first. */
function clip(text: string): string {
  const line = escapeUserText(text, 'plain').replace(/\s+/g, ' ').trim();
  return line.length <= STATUS_DESCRIPTION_MAX ? line : `${line.slice(0, STATUS_DESCRIPTION_MAX - 1)}…`;
}
