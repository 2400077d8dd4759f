import { gridView } from './heatmap.js';
import { overfittingCheck } from './overfitting.js';
import type { RankedRun, ResultsInput, ResultsSummary, RunOutcome, UnrankedRun } from './types.js';

/** `run-00003`, or `momentum/run-00003` when the DAG has several strategies. */
export function runName(run: RunOutcome, multiStrategy: boolean): string {
  const base = `run-${String(run.index).padStart(5, '0')}`;
  return multiStrategy ? `${run.strategy}/${base}` : base;
}

/**
 * Ranks the runs of one DAG run by the objective (highest first; ties by run index), lists
 * those without a place in the ranking with the reason, and adds the grid views and the
 * overfitting check. Pure: the same input gives the same summary.
 */
export function summarizeResults(input: ResultsInput): ResultsSummary {
  const { report } = input;
  const multi = new Set(input.runs.map((r) => r.strategy)).size > 1;
  const runs = [...input.runs].sort((a, b) => a.index - b.index);
  const rankable: Omit<RankedRun, 'rank'>[] = [];
  const unranked: UnrankedRun[] = [];
  for (const run of runs) {
    const name = runName(run, multi);
    const reason = unrankedReason(run, report.objective);
    if (reason !== null) {
      unranked.push({ run, name, reason });
      continue;
    }
    const file = run.metrics.kind === 'ok' ? run.metrics.file : null;
    const values = Object.fromEntries(report.metrics.map((m) => [m, file?.metrics[m] ?? null]));
    rankable.push({ run, name, objective: file?.metrics[report.objective] as number, values });
  }
  rankable.sort((a, b) => b.objective - a.objective || a.run.index - b.run.index);
  const ranked = rankable.map((r, i) => ({ ...r, rank: i + 1 }));
  const counts = {
    total: Math.max(input.trials, runs.length),
    done: runs.filter((r) => r.state === 'success' || r.state === 'failed').length,
    succeeded: runs.filter((r) => r.state === 'success').length,
    failed: runs.filter((r) => r.state === 'failed').length,
    pending: runs.filter((r) => r.state === 'pending' || r.state === 'running').length,
    unreadable: runs.filter(
      (r) => r.state === 'success' && (r.metrics.kind === 'missing' || r.metrics.kind === 'invalid'),
    ).length,
  };
  counts.pending += counts.total - runs.length;
  const varying = varyingKeys(runs);
  const view = gridView(varying, runs, ranked);
  return {
    dagId: input.dagId,
    dagRunId: input.dagRunId,
    report,
    trials: input.trials,
    counts,
    ranked,
    unranked,
    varying,
    heatmap: view.heatmap,
    marginals: view.marginals,
    overfitting: overfittingCheck(ranked, input.trials),
    complete: counts.pending === 0,
  };
}

function unrankedReason(run: RunOutcome, objective: string): string | null {
  if (run.state === 'failed') return 'failed';
  if (run.state === 'pending') return 'not started';
  if (run.state === 'running') return 'running';
  switch (run.metrics.kind) {
    case 'missing':
      return 'no metrics.json';
    case 'invalid':
      return `metrics.json is malformed: ${run.metrics.problem}`;
    case 'not-read':
      return 'metrics.json not read yet';
    case 'ok':
      return run.metrics.file.metrics[objective] === undefined
        ? `metrics.json has no \`${objective}\` (the objective)`
        : null;
  }
}

/** Parameter keys whose values are not the same in every run, in first-seen order. */
export function varyingKeys(runs: readonly RunOutcome[]): string[] {
  const seen = new Map<string, Set<string>>();
  for (const run of runs) {
    for (const [key, value] of Object.entries(run.params)) {
      const values = seen.get(key) ?? new Set<string>();
      values.add(JSON.stringify(value));
      seen.set(key, values);
    }
  }
  return [...seen].filter(([, values]) => values.size > 1).map(([key]) => key);
}
