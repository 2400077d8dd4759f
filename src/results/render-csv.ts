import { formatParam } from './format-number.js';
import type { ResultsSummary } from './types.js';

/**
 * The full table of one DAG run as CSV (RFC 4180): every run, ranked ones first, with every
 * parameter that varies, its state, its Batch job id (as the job reported it), and every
 * metric any run reported (report columns
 * first, then the others by name). Numbers are written exactly as read.
 */
export function renderResultsCsv(s: ResultsSummary): string {
  const named = new Set<string>();
  for (const r of [...s.ranked.map((x) => x.run), ...s.unranked.map((x) => x.run)]) {
    if (r.metrics.kind === 'ok') for (const m of Object.keys(r.metrics.file.metrics)) named.add(m);
  }
  const lead = [s.report.objective, ...s.report.metrics.filter((m) => m !== s.report.objective)];
  const metrics = [...lead, ...[...named].filter((m) => !lead.includes(m)).sort()];
  const header = [
    'rank',
    'run',
    'strategy',
    'index',
    ...s.varying,
    'state',
    'note',
    'batch_job_id',
    ...metrics,
  ];
  const rows: string[][] = [header];
  const line = (rank: string, name: string, run: (typeof s.ranked)[number]['run'], note: string) => {
    const values = run.metrics.kind === 'ok' ? run.metrics.file.metrics : {};
    const jobId =
      run.batchJobId ?? (run.metrics.kind === 'ok' ? run.metrics.file.run?.batch_job_id : undefined);
    rows.push([
      rank,
      name,
      run.strategy,
      String(run.index),
      ...s.varying.map((k) => (run.params[k] === undefined ? '' : formatParam(run.params[k]))),
      run.state,
      note,
      jobId ?? '',
      ...metrics.map((m) => (values[m] === undefined ? '' : String(values[m]))),
    ]);
  };
  for (const r of s.ranked) line(String(r.rank), r.name, r.run, '');
  for (const u of s.unranked) line('', u.name, u.run, u.reason);
  return `${rows.map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

function csvField(value: string): string {
  // A leading = + - @ would make a spreadsheet run the cell as a formula.
  const guarded = /^[=+\-@\t\r]/.test(value) && !/^-?\d/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}
