import { formatNumber } from './format-number.js';
import {
  deflatedSharpeRatio,
  probabilisticSharpeRatio,
  returnMoments,
  sampleVariance,
} from './statistics.js';
import type { OverfittingCheck, RankedRun } from './types.js';

/** Periods per year a Sharpe ratio is annualised with when metrics.json does not say. */
export const DEFAULT_PERIODS_PER_YEAR = 252;
/** Confidence the DSR is compared with. */
export const SIGNIFICANCE = 0.95;

interface RunStatistics {
  sharpe: number | null;
  n: number | null;
  skew: number | null;
  kurtosis: number | null;
  periodsPerYear: number;
}

/**
 * What one run tells about its returns. Values the run wrote win; a `returns` series fills
 * in the ones it left out; anything still unknown stays null (never assumed normal).
 */
export function runStatistics(run: RankedRun): RunStatistics {
  const file = run.run.metrics.kind === 'ok' ? run.run.metrics.file : null;
  const periodsPerYear = file?.periods_per_year ?? DEFAULT_PERIODS_PER_YEAR;
  const moments = file?.returns ? returnMoments(file.returns) : null;
  return {
    sharpe: file?.metrics.sharpe ?? (moments ? moments.sharpe * Math.sqrt(periodsPerYear) : null),
    n: file?.n_observations ?? moments?.n ?? null,
    skew: file?.skew ?? moments?.skew ?? null,
    kurtosis: file?.kurtosis ?? moments?.kurtosis ?? null,
    periodsPerYear,
  };
}

/**
 * The Deflated Sharpe Ratio of the best run (by the objective) of a sweep of `trials`
 * combinations: the probability that its Sharpe ratio beats the best that `trials`
 * strategies with no skill would show, given the variance of the runs' Sharpe ratios.
 */
export function overfittingCheck(ranked: readonly RankedRun[], trials: number): OverfittingCheck {
  const best = ranked[0];
  if (!best) {
    return { kind: 'unavailable', missing: [], sentence: 'DSR not computed: no run has results yet.' };
  }
  const stats = runStatistics(best);
  const missing = (
    [
      ['sharpe', stats.sharpe],
      ['n_observations', stats.n],
      ['skew', stats.skew],
      ['kurtosis', stats.kurtosis],
    ] as const
  )
    .filter(([, value]) => value === null)
    .map(([name]) => name);
  if (missing.length > 0) {
    return {
      kind: 'unavailable',
      missing,
      sentence:
        `DSR not computed: the best run (${best.name}) does not report ${missing.join(', ')} ` +
        '(write them, or a returns series, with write_metrics).',
    };
  }
  const sharpes = ranked.map((r) => runStatistics(r).sharpe).filter((s): s is number => s !== null);
  if (trials > 1 && sharpes.length < 2) {
    return {
      kind: 'unavailable',
      missing: [],
      sentence: `DSR not computed yet: the variance of the Sharpe ratios needs at least 2 of the ${trials} runs.`,
    };
  }
  const ppy = stats.periodsPerYear;
  const sharpe = stats.sharpe as number;
  const n = stats.n as number;
  const skew = stats.skew as number;
  const kurtosis = stats.kurtosis as number;
  const variance = trials > 1 ? sampleVariance(sharpes) : 0;
  const perObs = sharpe / Math.sqrt(ppy);
  const { dsr, threshold } = deflatedSharpeRatio({
    sharpe: perObs,
    variance: variance / ppy,
    trials,
    n,
    skew,
    kurtosis,
  });
  const psr = probabilisticSharpeRatio({ sharpe: perObs, benchmark: 0, n, skew, kurtosis });
  if (!Number.isFinite(dsr)) {
    return {
      kind: 'unavailable',
      missing: [],
      sentence: `DSR not computed: skew ${formatNumber(skew)} and kurtosis ${formatNumber(kurtosis)} with Sharpe ${formatNumber(sharpe)} give no valid variance of the estimate.`,
    };
  }
  const significant = dsr >= SIGNIFICANCE;
  const combos = trials === 1 ? '1 combination' : `${trials} combinations`;
  return {
    kind: 'computed',
    trials,
    sharpe,
    variance,
    threshold: threshold * Math.sqrt(ppy),
    psr,
    dsr,
    observations: n,
    skew,
    kurtosis,
    periodsPerYear: ppy,
    significant,
    sentence:
      `best Sharpe ${formatNumber(sharpe)} over ${combos}: DSR ${dsr.toFixed(2)}, ` +
      `${significant ? 'significant' : 'not significant'} at ${SIGNIFICANCE}`,
  };
}
