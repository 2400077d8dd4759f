import type { DeployReport } from '../mwaa/deploy-report.js';
import { code, escapeText, fenced, messageText, plural, short } from './markdown.js';
import { GITHUB_COMMENT_LIMIT } from './pr-comment.js';

/** The short report posted on a merged PR once its commit is deployed. */
export function renderDeployComment(report: DeployReport): string {
  const icon = report.ok ? '✅' : '❌';
  const env = [
    report.environment ? `environment ${code(report.environment)}` : '',
    report.airflow_version ? `Airflow ${report.airflow_version}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const out = [
    `<!-- backtest-gitops:deploy=${report.commit} -->`,
    `### ${icon} backtest-gitops: ${report.ok ? 'deployed' : 'deploy needs attention'} ${code(short(report.commit))} to ${code(report.target)}${env ? ` (${env})` : ''}`,
    '',
    messageText(report.summary),
  ];
  if (report.dags.length > 0) {
    // Failures first, so a cut never hides one; long tables are folded.
    const rows = [
      ...report.dags.filter((d) => d.imported === false),
      ...report.dags.filter((d) => d.imported !== false),
    ];
    const shown = rows.slice(0, MAX_ROWS);
    const folded = shown.length > FOLD_ROWS;
    if (folded) out.push('', `<details><summary>${plural(report.dags.length, 'DAG')}</summary>`);
    out.push('', '| DAG | change | imported | unpaused | triggered |', '|---|---|---|---|---|');
    for (const d of shown) {
      out.push(
        `| ${code(d.dag_id)} | ${d.action} | ${flag(d.imported)} | ${flag(d.unpaused)} | ${flag(d.triggered)} |`,
      );
    }
    if (folded) out.push('', '</details>');
    if (rows.length > shown.length) out.push('', `… and ${plural(rows.length - shown.length, 'more DAG')}.`);
  } else {
    out.push('', 'No DAG changed.');
  }
  const failed = report.dags.filter((d) => d.import_error);
  for (const d of failed.slice(0, MAX_TRACEBACKS)) {
    out.push(
      '',
      `<details><summary>Import error in ${escapeText(d.dag_id)}</summary>`,
      '',
      fenced('text', (d.import_error ?? '').slice(0, 4000)),
      '',
      '</details>',
    );
  }
  if (failed.length > MAX_TRACEBACKS)
    out.push(
      '',
      `… and ${plural(failed.length - MAX_TRACEBACKS, 'more import error')} (\`backtestctl mwaa status\` lists them).`,
    );
  if (report.not_live && report.not_live.length > 0) {
    out.push('', '**Not live: the default branch asks for configs that cannot be deployed.**', '');
    for (const n of report.not_live.slice(0, MAX_ROWS)) {
      out.push(
        `- ${code(`${n.file}:${n.line}:${n.column}`)} ${escapeText(n.message)}; live instead: ${escapeText(n.live)}`,
      );
    }
  } else if (report.kept_invalid.length > 0) {
    out.push(
      '',
      `${plural(report.kept_invalid.length, 'invalid config')} kept the last good DAG: ${report.kept_invalid
        .slice(0, MAX_ROWS)
        .map((f) => code(f))
        .join(', ')}${report.kept_invalid.length > MAX_ROWS ? ', …' : ''}`,
    );
  }
  const body = `${out.join('\n')}\n`;
  // Whatever the deploy: under GitHub's comment limit (the cuts above keep it far below).
  return body.length <= GITHUB_COMMENT_LIMIT
    ? body
    : `${body.slice(0, GITHUB_COMMENT_LIMIT - 40)}\n\n… (comment truncated)\n`;
}

/** Rows listed (DAGs, configs not live); tracebacks shown; tables folded past FOLD_ROWS. */
const MAX_ROWS = 300;
const MAX_TRACEBACKS = 10;
const FOLD_ROWS = 20;

function flag(value: boolean | null): string {
  return value === null ? '—' : value ? 'yes' : '**no**';
}
