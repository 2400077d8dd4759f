/**
 * The Deflated Sharpe Ratio written again from the paper's formulas for tests, with the
 * normal law by Simpson integration and its inverse by bisection, so a test's expected value
 * shares no code (and no approximation) with src/results/statistics.ts.
 */
export function phi(x: number): number {
  const steps = 20_000;
  const a = -12;
  const h = (x - a) / steps;
  const f = (t: number) => Math.exp((-t * t) / 2) / Math.sqrt(2 * Math.PI);
  let sum = f(a) + f(x);
  for (let i = 1; i < steps; i++) sum += f(a + i * h) * (i % 2 ? 4 : 2);
  return (sum * h) / 3;
}

export function phiInverse(p: number): number {
  let lo = -12;
  let hi = 12;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (phi(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface SharpeSample {
  sharpe: number;
  n: number;
  skew: number;
  kurtosis: number;
}

/** DSR of the best sample among `trials` combinations (annualised Sharpe ratios, `perYear` periods). */
export function independentDsr(all: readonly SharpeSample[], trials: number, perYear = 252): number {
  const best = [...all].sort((a, b) => b.sharpe - a.sharpe)[0] as SharpeSample;
  const mean = all.reduce((s, x) => s + x.sharpe, 0) / all.length;
  const variance = all.reduce((s, x) => s + (x.sharpe - mean) ** 2, 0) / (all.length - 1) / perYear;
  const g = 0.5772156649015329;
  const sr0 =
    Math.sqrt(variance) * ((1 - g) * phiInverse(1 - 1 / trials) + g * phiInverse(1 - 1 / (trials * Math.E)));
  const sr = best.sharpe / Math.sqrt(perYear);
  const z =
    ((sr - sr0) * Math.sqrt(best.n - 1)) /
    Math.sqrt(1 - best.skew * sr + ((best.kurtosis - 1) / 4) * sr * sr);
  return phi(z);
}
