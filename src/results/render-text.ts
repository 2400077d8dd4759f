import { formatNumber, formatParam } from './format-number.js';
import type { ResultsSummary } from './types.js';

/** The summary for a terminal: counts, the check, then the ranking as an aligned table. */
export function renderResultsText(summaries: readonly ResultsSummary[]): string {
  const out: string[] = [];
  for (const s of summaries) {
    const c = s.counts;
    out.push(
      `${s.dagId}${s.dagRunId ? ` (run ${s.dagRunId})` : ''}: ${c.done}/${c.total} done, ${c.failed} failed` +
        (c.unreadable ? `, ${c.unreadable} without readable metrics` : ''),
    );
    out.push(`  ${s.overfitting.sentence}`);
    const keys = s.varying;
    const columns = s.report.metrics.filter((m) => m !== s.report.objective);
    const rows = [['#', 'run', ...keys, s.report.objective, ...columns]];
    for (const r of s.ranked) {
      rows.push([
        String(r.rank),
        r.name,
        ...keys.map((k) => formatParam(r.run.params[k])),
        formatNumber(r.objective),
        ...columns.map((m) => formatNumber(r.values[m] ?? null)),
      ]);
    }
    if (s.ranked.length > 0) out.push('', ...alignTable(rows).map((l) => `  ${l}`));
    if (s.unranked.length > 0) {
      out.push('', '  without results:');
      for (const u of s.unranked)
        out.push(
          `    ${u.name}: ${u.reason}${u.run.batchJobId ? ` [Batch job ${u.run.batchJobId}]` : ''}${u.run.link ? ` (${u.run.link})` : ''}`,
        );
    }
    out.push('');
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

function alignTable(rows: string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i >= 2 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
