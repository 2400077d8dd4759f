import { escapeText } from '../report/markdown.js';
import { formatNumber, formatParam } from './format-number.js';
import { SHADES, shade } from './heatmap.js';
import { SIGNIFICANCE } from './overfitting.js';
import type { Heatmap, MarginalMeans, ResultsSummary, UnrankedRun } from './types.js';

/** GitHub refuses comments longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** Hidden marker of the results comment: one per merged PR, edited in place. */
export const RESULTS_MARKER = '<!-- backtest-gitops:results -->';

export interface ResultsCommentInput {
  summaries: readonly ResultsSummary[];
  /** GitHub login of the PR author, mentioned once all runs are done (null: no mention). */
  mention?: string | null;
  /** Where the full table lives as CSV, per DAG id. */
  csvLocations?: ReadonlyMap<string, string>;
  limit?: number;
}

/**
 * The results comment: summary lines first, then per DAG the overfitting check, the
 * heatmap or the mean objective per parameter value, the runs without results, and the
 * full ranking collapsed. When the body would exceed GitHub's limit, the ranking tables
 * are cut (the CSV has every row), then the sections, never the summary.
 */
export function renderResultsComment(input: ResultsCommentInput): string {
  const limit = input.limit ?? GITHUB_COMMENT_LIMIT;
  for (const maxRows of [Number.POSITIVE_INFINITY, 500, 200, 50, 10, 0]) {
    const body = compose(input, maxRows, true);
    if (body.length <= limit) return body;
  }
  const summaryOnly = compose(input, 0, false);
  return summaryOnly.length <= limit ? summaryOnly : `${summaryOnly.slice(0, limit - 20)}\n\n…(cut)\n`;
}

function compose(input: ResultsCommentInput, maxRows: number, sections: boolean): string {
  const { summaries } = input;
  const lines = [RESULTS_MARKER, '## Backtest results', ''];
  for (const s of summaries) lines.push(`- ${summaryLine(s)}`);
  const allDone = summaries.length > 0 && summaries.every((s) => s.complete);
  if (allDone && input.mention) lines.push('', `@${input.mention} all runs are done.`);
  if (sections) {
    for (const s of summaries) lines.push('', ...dagSection(s, maxRows, input.csvLocations?.get(s.dagId)));
  }
  return `${lines.join('\n')}\n`;
}

/** `momentum_grid: 7/9 done, 1 failed — best sharpe 1.82 (take_profit_pct=10, ...)` */
export function summaryLine(s: ResultsSummary): string {
  const c = s.counts;
  const parts = [`${c.done}/${c.total} done`];
  if (c.failed > 0) parts.push(`${c.failed} failed`);
  if (c.unreadable > 0) parts.push(`${c.unreadable} without readable metrics`);
  let line = `**${escapeText(s.dagId)}**: ${parts.join(', ')}`;
  const best = s.ranked[0];
  if (best) {
    line += ` — best ${escapeText(s.report.objective)} ${formatNumber(best.objective)} (${paramText(best, s.varying)})`;
  }
  const o = s.overfitting;
  if (o.kind === 'computed') {
    line += `; DSR ${o.dsr.toFixed(2)} over ${o.trials} combinations, ${o.significant ? '' : 'not '}significant at ${SIGNIFICANCE}`;
  }
  return line;
}

function dagSection(s: ResultsSummary, maxRows: number, csv: string | undefined): string[] {
  const out = [`### ${escapeText(s.dagId)}${s.dagRunId ? ` · run ${escapeText(s.dagRunId)}` : ''}`, ''];
  out.push(`> ${s.overfitting.sentence}`, '');
  if (s.heatmap) out.push(...heatmapTable(s.heatmap, s.report.objective), '');
  else if (s.marginals.length > 0) out.push(...marginalTables(s.marginals, s.report.objective), '');
  if (s.unranked.length > 0) out.push(...unrankedList(s.unranked, s.varying, maxRows), '');
  if (s.ranked.length > 0) out.push(...rankingDetails(s, maxRows, csv), '');
  if (s.overfitting.kind === 'computed') out.push(...overfittingDetails(s), '');
  return out;
}

function heatmapTable(h: Heatmap, objective: string): string[] {
  const header = `| ${escapeText(h.rowKey)} ↓ · ${escapeText(h.columnKey)} → | ${h.columns.map((c) => `**${escapeText(formatParam(c))}**`).join(' | ')} |`;
  const rule = `|---|${h.columns.map(() => '---:').join('|')}|`;
  const rows = h.rows.map((row, i) => {
    const cells = (h.cells[i] ?? []).map((cell) =>
      cell.value === null
        ? '—'
        : `${shade(cell.value, h.min, h.max)} ${formatNumber(cell.value)}${cell.best ? ' ★' : ''}`,
    );
    return `| **${escapeText(formatParam(row))}** | ${cells.join(' | ')} |`;
  });
  const legend = `${SHADES.join('')} lowest → highest ${escapeText(objective)}; ★ best run; — no result`;
  return [`**${escapeText(objective)}** per combination`, '', header, rule, ...rows, '', legend];
}

function marginalTables(marginals: readonly MarginalMeans[], objective: string): string[] {
  const out = [`**Mean ${escapeText(objective)} per parameter value**`, ''];
  out.push('| parameter | value | mean | runs |', '|---|---|---:|---:|');
  for (const m of marginals) {
    for (const v of m.values) {
      out.push(
        `| ${escapeText(m.key)} | ${escapeText(formatParam(v.value))} | ${formatNumber(v.mean)} | ${v.runs} |`,
      );
    }
  }
  return out;
}

function unrankedList(unranked: readonly UnrankedRun[], keys: readonly string[], maxRows: number): string[] {
  const problems = unranked.filter((u) => u.run.state === 'failed' || u.run.state === 'success');
  const waiting = unranked.length - problems.length;
  const out: string[] = [];
  if (problems.length > 0) {
    out.push('**Runs without results**', '');
    const shown = problems.slice(0, Math.max(10, Math.min(maxRows, problems.length)));
    for (const u of shown) {
      const link = safeLink(u.run.link);
      out.push(
        `- ${escapeText(u.name)} (${paramText(u, keys)}): ${escapeText(u.reason)}${link ? ` — [log](${link})` : ''}${batchJob(u.run.batchJobId)}`,
      );
    }
    if (shown.length < problems.length) out.push(`- … and ${problems.length - shown.length} more`);
  }
  if (waiting > 0) out.push(...(out.length ? [''] : []), `${waiting} run(s) still pending or running.`);
  return out;
}

function rankingDetails(s: ResultsSummary, maxRows: number, csv: string | undefined): string[] {
  const keys = s.varying;
  const columns = s.report.metrics.filter((m) => m !== s.report.objective);
  const head = ['#', 'run', ...keys, s.report.objective, ...columns].map((h) => escapeText(h));
  const out = [
    `<details><summary>All ${s.ranked.length} ranked runs, by ${escapeText(s.report.objective)}</summary>`,
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i < 2 + keys.length ? '---' : '---:')).join('|')}|`,
  ];
  const rows = s.ranked.slice(0, maxRows);
  for (const r of rows) {
    const cells = [
      String(r.rank),
      escapeText(r.name),
      ...keys.map((k) => escapeText(formatParam(r.run.params[k]))),
      formatNumber(r.objective),
      ...columns.map((m) => formatNumber(r.values[m] ?? null)),
    ];
    out.push(`| ${cells.join(' | ')} |`);
  }
  if (rows.length < s.ranked.length) {
    out.push(
      '',
      `${s.ranked.length - rows.length} more rows${csv ? ` in ${escapeText(csv)}` : ' in the CSV'}.`,
    );
  } else if (csv) {
    out.push('', `The full table as CSV: ${escapeText(csv)}`);
  }
  out.push('', '</details>');
  return out;
}

function overfittingDetails(s: ResultsSummary): string[] {
  const o = s.overfitting;
  if (o.kind !== 'computed') return [];
  return [
    '<details><summary>Overfitting check (Deflated Sharpe Ratio, Bailey & López de Prado 2014)</summary>',
    '',
    '| | |',
    '|---|---:|',
    `| combinations tried (N) | ${o.trials} |`,
    `| best Sharpe (annualised) | ${formatNumber(o.sharpe)} |`,
    `| variance of the runs' Sharpe ratios (annualised) | ${formatNumber(o.variance)} |`,
    `| expected best Sharpe of ${o.trials} skill-less strategies | ${formatNumber(o.threshold)} |`,
    `| observations (T), periods per year | ${o.observations}, ${formatNumber(o.periodsPerYear)} |`,
    `| skew, kurtosis | ${formatNumber(o.skew)}, ${formatNumber(o.kurtosis)} |`,
    `| PSR against Sharpe 0 | ${o.psr.toFixed(4)} |`,
    `| DSR | ${o.dsr.toFixed(4)} |`,
    '',
    'A DSR of 0.95 or more means the best Sharpe ratio is unlikely to be luck from trying many combinations.',
    '',
    '</details>',
  ];
}

/** The values of the varying parameters the run has: `take_profit_pct=10, stop_loss_pct=5`. */
export function paramText(r: { run: { params: Record<string, unknown> } }, keys: readonly string[]): string {
  const text = keys
    .filter((k) => r.run.params[k] !== undefined)
    .map((k) => `${k}=${formatParam(r.run.params[k])}`)
    .join(', ');
  return escapeText(text) || 'no grid';
}

/** ` · Batch job `id`` for a run whose job is known (ids are checked to be [A-Za-z0-9_.:-] when read). */
function batchJob(id: string | undefined): string {
  return id && /^[A-Za-z0-9_.:-]+$/.test(id) ? ` · Batch job \`${id}\`` : '';
}

/** Only http(s) links; characters that could end the markdown link or start HTML are percent-encoded. */
function safeLink(url: string | undefined): string | null {
  if (!url || !/^https?:\/\//i.test(url)) return null;
  return url.replace(
    /[()<>\s"'`\\[\]]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}
