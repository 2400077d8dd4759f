import { describe, expect, it } from 'vitest';
import { parseMetricsFile } from './metrics-file.js';
import { renderResultsCsv } from './render-csv.js';
import { GITHUB_COMMENT_LIMIT, RESULTS_MARKER, renderResultsComment } from './render-markdown.js';
import { renderResultsText } from './render-text.js';
import { summarizeResults } from './summarize.js';
import { DEFAULT_REPORT, type RunOutcome } from './types.js';

const TP = [5, 10, 15];
const SL = [3, 5, 8];

/** A 3 × 3 grid; run 7 failed, run 2 wrote a malformed file, run 5 has no file. */
function gridRuns(): RunOutcome[] {
  const runs: RunOutcome[] = [];
  let index = 0;
  for (const tp of TP) {
    for (const sl of SL) {
      const params = { strategy_class: 'LongShort', take_profit_pct: tp, stop_loss_pct: sl };
      const sharpe = tp / 10 + sl / 20;
      const base = { index, strategy: 'momentum_grid', params };
      if (index === 7)
        runs.push({
          ...base,
          state: 'failed',
          metrics: { kind: 'not-read' },
          link: 'https://airflow.example/log?try=1',
        });
      else if (index === 2)
        runs.push({
          ...base,
          state: 'success',
          metrics: { kind: 'invalid', problem: 'metrics.sharpe: must be a finite number' },
        });
      else if (index === 5) runs.push({ ...base, state: 'success', metrics: { kind: 'missing' } });
      else
        runs.push({
          ...base,
          state: 'success',
          metrics: {
            kind: 'ok',
            file: {
              metrics: { sharpe, total_return: sharpe / 10, trades: 10 + index },
              n_observations: 252,
              skew: -0.2,
              kurtosis: 3.5,
            },
          },
        });
      index++;
    }
  }
  return runs;
}

const summary = () =>
  summarizeResults({
    dagId: 'momentum_grid',
    dagRunId: 'manual__1',
    trials: 9,
    report: DEFAULT_REPORT,
    runs: gridRuns(),
  });

describe('summarizeResults', () => {
  it('ranks by the objective, highest first, and lists the runs without results by name', () => {
    const s = summary();
    expect(s.ranked.map((r) => r.run.index)).toEqual([8, 6, 4, 3, 1, 0]);
    expect(s.ranked[0]?.objective).toBeCloseTo(1.9, 10);
    expect(s.unranked.map((u) => [u.name, u.reason])).toEqual([
      ['run-00002', 'metrics.json is malformed: metrics.sharpe: must be a finite number'],
      ['run-00005', 'no metrics.json'],
      ['run-00007', 'failed'],
    ]);
    expect(s.counts).toEqual({ total: 9, done: 9, succeeded: 8, failed: 1, pending: 0, unreadable: 2 });
    expect(s.complete).toBe(true);
    expect(s.varying).toEqual(['take_profit_pct', 'stop_loss_pct']);
  });

  it('draws a heatmap for a 2-parameter grid, in the grid order, with the best cell marked', () => {
    const h = summary().heatmap;
    expect(h?.rows).toEqual(TP);
    expect(h?.columns).toEqual(SL);
    expect(h?.cells[2]?.[2]).toEqual({ value: 1.9, best: true });
    expect(h?.cells[0]?.[2]?.value).toBeNull(); // malformed run 2
    expect(h?.cells[2]?.[1]?.value).toBeNull(); // failed run 7
  });

  it('gives the mean objective per value when more than two parameters vary', () => {
    const runs = gridRuns().map((r) => ({
      ...r,
      params: { ...r.params, cooldown_period: r.index % 2 ? 1 : 2 },
    }));
    const s = summarizeResults({ dagId: 'd', dagRunId: null, trials: 9, report: DEFAULT_REPORT, runs });
    expect(s.heatmap).toBeNull();
    const tp = s.marginals.find((m) => m.key === 'take_profit_pct');
    // take_profit 5: runs 0, 1 ranked (2 malformed): sharpe 0.65, 0.75
    expect(tp?.values[0]).toEqual({ value: 5, mean: 0.7, runs: 2 });
    expect(s.marginals.map((m) => m.key)).toEqual(['take_profit_pct', 'stop_loss_pct', 'cooldown_period']);
  });

  it('counts runs not reported yet as pending', () => {
    const runs = gridRuns().slice(0, 4);
    runs[3] = { ...(runs[3] as RunOutcome), state: 'running', metrics: { kind: 'not-read' } };
    const s = summarizeResults({ dagId: 'd', dagRunId: null, trials: 9, report: DEFAULT_REPORT, runs });
    expect(s.counts).toMatchObject({ total: 9, done: 3, pending: 6 });
    expect(s.complete).toBe(false);
  });
});

describe('results comment', () => {
  it('puts the summary first and the details collapsed, with the marker', () => {
    const body = renderResultsComment({
      summaries: [summary()],
      mention: 'alice',
      csvLocations: new Map([['momentum_grid', 's3://b/results.csv']]),
    });
    expect(
      body.startsWith(
        `${RESULTS_MARKER}\n## Backtest results\n\n- **momentum_grid**: 9/9 done, 1 failed, 2 without readable metrics — best sharpe 1.9 (take_profit_pct=15, stop_loss_pct=8)`,
      ),
    ).toBe(true);
    expect(body).toContain('@alice all runs are done.');
    expect(body).toContain('| **15** | 🟩 1.65 | — | 🟩 1.9 ★ |');
    expect(body).toContain(
      '- run-00007 (take_profit_pct=15, stop_loss_pct=5): failed — [log](https://airflow.example/log?try=1)',
    );
    expect(body).toMatch(/<details><summary>All 6 ranked runs, by sharpe<\/summary>/);
    expect(body.indexOf('<details>')).toBeGreaterThan(body.indexOf('Runs without results'));
  });

  it('names no CSV for DAG ids named like Object.prototype members that have none', () => {
    const csvLines = (dagId: string, csv: Map<string, string>) => {
      const s = summarizeResults({
        dagId,
        dagRunId: null,
        trials: 9,
        report: DEFAULT_REPORT,
        runs: gridRuns(),
      });
      return renderResultsComment({ summaries: [s], csvLocations: csv })
        .split('\n')
        .filter((l) => l.includes('CSV') || l.includes('native code'));
    };
    const ordinary = csvLines('grid', new Map([['grid', 's3://b/r.csv']]));
    expect(ordinary.length).toBe(1);
    for (const dagId of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(csvLines(dagId, new Map([['other', 's3://b/o.csv']]))).toEqual([]);
      expect(csvLines(dagId, new Map([[dagId, 's3://b/r.csv']]))).toEqual(ordinary);
    }
  });

  it('mentions nobody while runs are pending', () => {
    const s = summarizeResults({
      dagId: 'd',
      dagRunId: null,
      trials: 9,
      report: DEFAULT_REPORT,
      runs: gridRuns().slice(0, 3),
    });
    expect(renderResultsComment({ summaries: [s], mention: 'alice' })).not.toContain('@alice');
  });

  it('escapes what the jobs and configs wrote', () => {
    const runs: RunOutcome[] = gridRuns().map((r) => ({
      ...r,
      params: { ...r.params, take_profit_pct: '<img src=x>|@bob' },
    }));
    runs[0] = { ...(runs[0] as RunOutcome), params: { take_profit_pct: 'a', stop_loss_pct: 1 } };
    const body = renderResultsComment({
      summaries: [summarizeResults({ dagId: 'd', dagRunId: null, trials: 9, report: DEFAULT_REPORT, runs })],
    });
    expect(body).not.toContain('<img');
    expect(body).not.toMatch(/@bob/);
  });

  it('fits GitHub’s 65,536 characters for a 5,000-run grid; the CSV keeps every row', () => {
    const runs: RunOutcome[] = Array.from({ length: 5000 }, (_, index) => ({
      index,
      strategy: 's',
      params: { a: index % 100, b: Math.floor(index / 100), c: index % 7 },
      state: 'success',
      metrics: { kind: 'ok', file: { metrics: { sharpe: Math.sin(index), total_return: index, trades: 3 } } },
    }));
    const s = summarizeResults({ dagId: 'big', dagRunId: null, trials: 5000, report: DEFAULT_REPORT, runs });
    const body = renderResultsComment({ summaries: [s] });
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(body).toContain('- **big**: 5000/5000 done');
    expect(body).toMatch(/\d+ more rows in the CSV/);
    expect(renderResultsCsv(s).trimEnd().split('\r\n')).toHaveLength(5001);
  });

  it('fits for one merge of 12 DAGs with 60 × 60 heatmaps and failed runs: summary lines first, whole', () => {
    const summaries = Array.from({ length: 12 }, (_, d) => {
      const runs: RunOutcome[] = Array.from({ length: 3600 }, (_, index) => ({
        index,
        strategy: 's',
        params: { a: index % 60, b: Math.floor(index / 60) },
        ...(index % 10 === 0
          ? {
              state: 'failed' as const,
              metrics: { kind: 'not-read' as const },
              link: `https://airflow.example/log?map_index=${index}`,
              batchJobId: `job-${d}-${index}`,
            }
          : {
              state: 'success' as const,
              metrics: { kind: 'ok' as const, file: { metrics: { sharpe: Math.sin(index + d) } } },
            }),
      }));
      return summarizeResults({
        dagId: `sweep_${d}`,
        dagRunId: 'r',
        trials: 3600,
        report: DEFAULT_REPORT,
        runs,
      });
    });
    const body = renderResultsComment({ summaries });
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    const lines = body.split('\n');
    expect(lines.slice(0, 3)).toEqual([RESULTS_MARKER, '## Backtest results', '']);
    expect(lines.slice(3, 15).map((l) => l.slice(0, 40))).toEqual(
      summaries.map((_, d) => `- **sweep_${d}**: 3600/3600 done, 360 failed`.slice(0, 40)),
    );
  });
});

describe('CSV and text', () => {
  it('writes every run with every metric; no cell starts a spreadsheet formula', () => {
    const runs = gridRuns();
    runs[0] = { ...(runs[0] as RunOutcome), params: { ...runs[0]?.params, take_profit_pct: '=cmd()' } };
    const csv = renderResultsCsv(
      summarizeResults({ dagId: 'd', dagRunId: null, trials: 9, report: DEFAULT_REPORT, runs }),
    );
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'rank,run,strategy,index,take_profit_pct,stop_loss_pct,state,note,batch_job_id,sharpe,total_return,max_drawdown,trades',
    );
    expect(lines[1]).toBe('1,run-00008,momentum_grid,8,15,8,success,,,1.9,0.19,,18');
    expect(csv).toContain("'=cmd()");
    expect(lines).toContain(
      '"",run-00002,momentum_grid,2,5,8,success,metrics.json is malformed: metrics.sharpe: must be a finite number,,,,,'.replace(
        '""',
        '',
      ),
    );
  });

  it('carries the Batch job id a job reported', () => {
    const runs = gridRuns();
    const first = runs[0] as RunOutcome;
    if (first.metrics.kind === 'ok') {
      runs[0] = {
        ...first,
        metrics: { kind: 'ok', file: { ...first.metrics.file, run: { batch_job_id: 'b7c1-job' } } },
      };
    }
    const csv = renderResultsCsv(
      summarizeResults({ dagId: 'd', dagRunId: null, trials: 9, report: DEFAULT_REPORT, runs }),
    );
    expect(csv).toContain(',run-00000,momentum_grid,0,5,3,success,,b7c1-job,0.65,');
  });

  it('prints an aligned table for a terminal', () => {
    const text = renderResultsText([summary()]);
    expect(text.split('\n')[0]).toBe(
      'momentum_grid (run manual__1): 9/9 done, 1 failed, 2 without readable metrics',
    );
    expect(text).toContain('run-00007: failed (https://airflow.example/log?try=1)');
  });
});

describe('metrics.json', () => {
  it('reports what is wrong, by field', () => {
    expect(parseMetricsFile('{"metrics":{"sharpe":"high"}}')).toEqual({
      ok: false,
      problem: expect.stringContaining('metrics.sharpe'),
    });
    expect(parseMetricsFile('not json')).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^not JSON/),
    });
    expect(parseMetricsFile('{"metrics":{}}')).toMatchObject({
      ok: false,
      problem: expect.stringContaining('at least one metric'),
    });
    expect(parseMetricsFile('{"metrics":{"sharpe":1},"kurtosis":0.5}')).toMatchObject({
      ok: false,
      problem: expect.stringContaining('kurtosis'),
    });
    expect(parseMetricsFile('{"metrics":{"sharpe":1.2,"trades":40},"n_observations":252}')).toMatchObject({
      ok: true,
    });
  });
});
