/**
 * The statistics of the overfitting check (Bailey & López de Prado, "The Deflated Sharpe
 * Ratio: Correcting for Selection Bias, Backtest Overfitting and Non-Normality", Journal of
 * Portfolio Management 40(5), 2014). Pure functions of numbers; every Sharpe ratio here is
 * per observation (not annualised) unless a name says otherwise.
 */

/** Euler–Mascheroni constant, used by the expected maximum of N Gaussian Sharpe ratios. */
export const EULER_GAMMA = 0.5772156649015329;

/** Standard normal cumulative distribution (absolute error below 1e-7). */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return 1;
  if (x === Number.NEGATIVE_INFINITY) return 0;
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes' erfcc, fractional error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly = horner(ERFC_COEFFICIENTS, t);
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}

const ERFC_COEFFICIENTS = [
  0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196,
  1.00002368, -1.26551223,
];

/** Horner evaluation of a polynomial, coefficients from the highest power down. */
function horner(coefficients: readonly number[], x: number): number {
  return coefficients.reduce((acc, c) => acc * x + c, 0);
}

const ACKLAM_A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239,
];
const ACKLAM_B = [
  -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572, 1,
];
const ACKLAM_C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const ACKLAM_D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416, 1];

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation, relative error
 * < 1.15e-9). p = 0 → -Infinity, p = 1 → +Infinity.
 */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return horner(ACKLAM_C, q) / horner(ACKLAM_D, q);
  }
  if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    return (horner(ACKLAM_A, r) * q) / horner(ACKLAM_B, r);
  }
  const q = Math.sqrt(-2 * Math.log(1 - p));
  return -horner(ACKLAM_C, q) / horner(ACKLAM_D, q);
}

/** Per-observation moments of a return series; kurtosis is Pearson's (3 for a normal law). */
export interface ReturnMoments {
  sharpe: number;
  skew: number;
  kurtosis: number;
  n: number;
}

/**
 * Sharpe ratio (mean / standard deviation, risk-free rate taken as already subtracted),
 * skewness and kurtosis of per-period returns, with population moments as in the paper.
 * Null when there are fewer than 2 returns or they do not vary.
 */
export function returnMoments(returns: readonly number[]): ReturnMoments | null {
  const n = returns.length;
  if (n < 2) return null;
  const mean = returns.reduce((s, r) => s + r, 0) / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const r of returns) {
    const d = r - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  if (!(m2 > 0)) return null;
  const sd = Math.sqrt(m2);
  return { sharpe: mean / sd, skew: m3 / (sd * sd * sd), kurtosis: m4 / (m2 * m2), n };
}

/**
 * Probabilistic Sharpe Ratio: the probability that the true Sharpe ratio exceeds
 * `benchmark`, given an observed per-observation Sharpe `sharpe` over `n` observations with
 * the given skewness and (Pearson) kurtosis. Eq. (2) of the paper.
 */
export function probabilisticSharpeRatio(input: {
  sharpe: number;
  benchmark: number;
  n: number;
  skew: number;
  kurtosis: number;
}): number {
  const { sharpe, benchmark, n, skew, kurtosis } = input;
  const variance = 1 - skew * sharpe + ((kurtosis - 1) / 4) * sharpe * sharpe;
  if (!(variance > 0) || !(n > 1)) return Number.NaN;
  return normalCdf(((sharpe - benchmark) * Math.sqrt(n - 1)) / Math.sqrt(variance));
}

/**
 * The Sharpe ratio the best of `trials` independent trials is expected to reach when every
 * true Sharpe ratio is zero (eq. 1 of the paper's SR0), given the variance of the trials'
 * Sharpe ratios. One trial: no selection, so the threshold is 0.
 */
export function expectedMaxSharpe(trials: number, variance: number): number {
  if (!Number.isInteger(trials) || trials < 1) return Number.NaN;
  if (trials === 1 || variance === 0) return 0;
  const z1 = normalQuantile(1 - 1 / trials);
  const z2 = normalQuantile(1 - 1 / (trials * Math.E));
  return Math.sqrt(variance) * ((1 - EULER_GAMMA) * z1 + EULER_GAMMA * z2);
}

/** Deflated Sharpe Ratio: the PSR of the best trial against the expected maximum of `trials` null trials. */
export function deflatedSharpeRatio(input: {
  sharpe: number;
  /** Variance of the trials' per-observation Sharpe ratios. */
  variance: number;
  trials: number;
  n: number;
  skew: number;
  kurtosis: number;
}): { dsr: number; threshold: number } {
  const threshold = expectedMaxSharpe(input.trials, input.variance);
  return { dsr: probabilisticSharpeRatio({ ...input, benchmark: threshold }), threshold };
}

/** Sample variance (n - 1 in the denominator); 0 for fewer than two values. */
export function sampleVariance(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return values.reduce((s, v) => s + (v - mean) * (v - mean), 0) / (values.length - 1);
}
