import { formatPlanText } from '../plan/format-plan.js';
import { short } from './markdown.js';
import { dagCount, statusDescription, totalRuns } from './status-description.js';
import type { ValidationReport } from './types.js';

/** The report for a terminal (`backtestctl pr check --format text`). */
export function renderTextReport(report: ValidationReport): string {
  const base = report.baseSha ? short(report.baseSha) : 'nothing deployed';
  const lines = [
    `${report.valid ? '✓' : '✗'} ${statusDescription(report)}`,
    `  head ${short(report.headSha)} vs base ${base}`,
  ];
  if (report.failure) lines.push(`error: ${report.failure}`);
  for (const i of report.issues) {
    lines.push(
      `${i.file}:${i.line}:${i.column} ${i.severity} ${i.code}: ${i.message}${i.hint ? ` (${i.hint})` : ''}`,
    );
  }
  const out = `${lines.join('\n')}\n`;
  return report.plan ? `${out}${formatPlanText(report.plan, `the base (${base})`)}` : out;
}

/** The report as JSON (`--format json`): verdict, issues, plan summary and runs. */
export function reportJson(report: ValidationReport): string {
  const doc = {
    valid: report.valid,
    head: report.headSha,
    base: report.baseSha,
    description: statusDescription(report),
    failure: report.failure ?? null,
    issues: report.issues,
    plan: report.plan
      ? {
          summary: report.plan.summary,
          files: report.plan.files.map(({ key, action, dag_id, source, runs }) => ({
            key,
            action,
            dag_id,
            source,
            runs,
          })),
          mass_delete: report.plan.massDelete,
        }
      : null,
    dags: dagCount(report),
    total_runs: totalRuns(report),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
