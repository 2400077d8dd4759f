import type { BacktestSpec } from '../config/types.js';
import { GENERATOR } from '../shared/version.js';

/**
 * The DAG's `doc_md`, shown on the DAG page. Config strings appear as written (Airflow
 * renders doc_md as Markdown, not as a template). It always ends with the fixed trailer
 * line: Airflow reads doc_md ending in `.md` as a file path, and a description such as
 * `/etc/passwd.md` must never make the scheduler open a file.
 */
export function renderDocMarkdown(spec: BacktestSpec): string {
  const lines = [`# Backtest ${spec.dag_id}`, ''];
  if (spec.description) lines.push(spec.description, '');
  lines.push(`Config: ${spec.source} (sha256 ${spec.source_sha256})`, '');
  lines.push(`${spec.runs} run${spec.runs === 1 ? '' : 's'} on AWS Batch:`, '');
  for (const s of spec.strategies) {
    const grid = Object.entries(s.param_grid)
      .map(([key, values]) => `${key} (${values.length})`)
      .join(' x ');
    lines.push(
      `- ${s.name}: ${s.strategy_class}, ${s.start_date} to ${s.end_date}, ${s.runs} run${s.runs === 1 ? '' : 's'}` +
        (grid ? `, grid ${grid}` : ''),
    );
  }
  lines.push('', `_Rendered by ${GENERATOR}; edit the config, not this file._`, '');
  return lines.join('\n');
}
