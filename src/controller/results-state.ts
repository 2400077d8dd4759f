import { z } from 'zod';
import { MetricsFileSchema } from '../results/metrics-file.js';
import { returnMoments } from '../results/statistics.js';
import type { MetricsOutcome } from '../results/types.js';

/**
 * What the results follower remembers between reconciles, kept next to the manifest in the
 * target (`.backtest-gitops/results-state.json`), so a restarted controller picks up where
 * the last one stopped: which DAG runs it follows for which merged PR, what it has read of
 * them, and what it last told GitHub (so an unchanged comment or status costs no request).
 */
export const RESULTS_STATE_KEY = '.backtest-gitops/results-state.json';

const Outcome = z.union([
  z.object({ kind: z.literal('ok'), file: MetricsFileSchema }),
  z.object({ kind: z.literal('missing') }),
  z.object({ kind: z.literal('invalid'), problem: z.string() }),
]);

const Follow = z.object({
  dag_id: z.string(),
  /** Merge commit whose deploy created or changed the DAG. */
  commit: z.string(),
  /** ISO time of the deploy: the first DAG run starting after it is the one followed. */
  since: z.string(),
  pr: z.number().int().nullable(),
  run_id: z.string().nullable(),
  done: z.boolean(),
  /** Outcomes read so far, by run index (metrics.json is read once per run). */
  outcomes: z.record(z.string(), Outcome),
  /**
   * Last Airflow state of each run, by run index; for a failed run its log link and, from
   * its run-status.json (read once, `status_read`), its Batch job id.
   */
  runs: z.record(
    z.string(),
    z.object({
      state: z.enum(['success', 'failed', 'running', 'pending']),
      link: z.string().optional(),
      batch_job_id: z.string().optional(),
      status_read: z.boolean().optional(),
    }),
  ),
  /** Where the full table was written as CSV once the run finished. */
  csv: z.string().nullable().default(null),
});
export type Follow = z.infer<typeof Follow>;

const PullState = z.object({
  author: z.string().nullable(),
  comment_id: z.number().int().nullable(),
  /** sha256 of the last body written, so an unchanged comment is not sent again. */
  body_sha256: z.string().nullable(),
  status: z.string().nullable(),
  notified: z.boolean(),
});
export type PullState = z.infer<typeof PullState>;

export const ResultsState = z.object({
  version: z.literal(1),
  follows: z.array(Follow),
  pulls: z.record(z.string(), PullState),
  /** Where the round-robin over follows resumes when the request budget ran out. */
  cursor: z.number().int().min(0).default(0),
});
export type ResultsState = z.infer<typeof ResultsState>;

export function emptyResultsState(): ResultsState {
  return { version: 1, follows: [], pulls: {}, cursor: 0 };
}

/** Parses the stored state; an unreadable file starts over (it only costs re-reading results). */
export function parseResultsState(text: string | null): ResultsState {
  if (text === null) return emptyResultsState();
  try {
    const parsed = ResultsState.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : emptyResultsState();
  } catch (err) {
    // Not JSON (a torn or foreign write): start over, as for a state of the wrong shape.
    if (!(err instanceof SyntaxError)) throw err;
    return emptyResultsState();
  }
}

/**
 * An outcome as stored: a returns series is replaced by the statistics the overfitting check
 * takes from it, so the state stays small whatever the jobs write.
 */
export function compactOutcome(outcome: MetricsOutcome): z.infer<typeof Outcome> | null {
  if (outcome.kind === 'not-read') return null;
  if (outcome.kind !== 'ok' || !outcome.file.returns) return outcome;
  const { returns, ...rest } = outcome.file;
  const moments = returnMoments(returns);
  const ppy = rest.periods_per_year ?? 252;
  return {
    kind: 'ok',
    file: {
      ...rest,
      metrics:
        rest.metrics.sharpe === undefined && moments
          ? { ...rest.metrics, sharpe: moments.sharpe * Math.sqrt(ppy) }
          : rest.metrics,
      ...(rest.n_observations === undefined && moments ? { n_observations: moments.n } : {}),
      ...(rest.skew === undefined && moments ? { skew: moments.skew } : {}),
      ...(rest.kurtosis === undefined && moments ? { kurtosis: moments.kurtosis } : {}),
    },
  };
}

export function stateText(state: ResultsState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}
