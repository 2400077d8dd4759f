import type { DeployReport } from '../mwaa/deploy-report.js';
import { code, escapeText, fenced, messageText, plural, short } from './markdown.js';

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
    out.push('', '| DAG | change | imported | unpaused | triggered |', '|---|---|---|---|---|');
    for (const d of report.dags) {
      out.push(
        `| ${code(d.dag_id)} | ${d.action} | ${flag(d.imported)} | ${flag(d.unpaused)} | ${flag(d.triggered)} |`,
      );
    }
  } else {
    out.push('', 'No DAG changed.');
  }
  const failed = report.dags.filter((d) => d.import_error);
  for (const d of failed) {
    out.push(
      '',
      `<details><summary>Import error in ${escapeText(d.dag_id)}</summary>`,
      '',
      fenced('text', (d.import_error ?? '').slice(0, 4000)),
      '',
      '</details>',
    );
  }
  if (report.not_live && report.not_live.length > 0) {
    out.push('', '**Not live: the default branch asks for configs that cannot be deployed.**', '');
    for (const n of report.not_live) {
      out.push(
        `- ${code(`${n.file}:${n.line}:${n.column}`)} ${escapeText(n.message)}; live instead: ${escapeText(n.live)}`,
      );
    }
  } else if (report.kept_invalid.length > 0) {
    out.push(
      '',
      `${plural(report.kept_invalid.length, 'invalid config')} kept the last good DAG: ${report.kept_invalid.map((f) => code(f)).join(', ')}`,
    );
  }
  return `${out.join('\n')}\n`;
}

function flag(value: boolean | null): string {
  return value === null ? '—' : value ? 'yes' : '**no**';
}
