import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { overfittingCheck } from './overfitting.js';
import {
  deflatedSharpeRatio,
  expectedMaxSharpe,
  normalCdf,
  normalQuantile,
  probabilisticSharpeRatio,
  returnMoments,
} from './statistics.js';
import type { RankedRun } from './types.js';

describe('normal distribution', () => {
  it('matches tabulated values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959963985)).toBeCloseTo(0.975, 7);
    expect(normalCdf(-1)).toBeCloseTo(0.158655254, 7);
    expect(normalQuantile(0.99)).toBeCloseTo(2.326347874, 6);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902, 4);
  });

  it('quantile inverts the CDF', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-9, max: 1 - 1e-9, noNaN: true }), (p) => {
        expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 6);
      }),
    );
  });
});

describe('Deflated Sharpe Ratio (Bailey & López de Prado 2014)', () => {
  it("reproduces the paper's worked example: DSR 0.9004", () => {
    // N = 100 trials, annualised variance of the trials' SR 0.5, T = 1,250 daily
    // observations (250 a year), skew -3, kurtosis 10, annualised SR 2.5.
    const perYear = 250;
    const { dsr, threshold } = deflatedSharpeRatio({
      sharpe: 2.5 / Math.sqrt(perYear),
      variance: 0.5 / perYear,
      trials: 100,
      n: 1250,
      skew: -3,
      kurtosis: 10,
    });
    expect(dsr.toFixed(4)).toBe('0.9004');
    // The paper's annualised SR0 of the example is about 1.79.
    expect(threshold * Math.sqrt(perYear)).toBeCloseTo(1.7894, 3);
  });

  it('with one trial there is no selection: DSR equals the PSR against 0', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 2, max: 100_000 }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        fc.double({ min: 1, max: 20, noNaN: true }),
        (sharpe, variance, n, skew, kurtosis) => {
          const { dsr, threshold } = deflatedSharpeRatio({ sharpe, variance, trials: 1, n, skew, kurtosis });
          const psr = probabilisticSharpeRatio({ sharpe, benchmark: 0, n, skew, kurtosis });
          expect(threshold).toBe(0);
          expect(Object.is(dsr, psr) || dsr === psr).toBe(true);
        },
      ),
    );
  });

  it('more trials never lower the bar the best must clear', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.double({ min: 1e-6, max: 2, noNaN: true }),
        (n, v) => {
          expect(expectedMaxSharpe(n + 1, v)).toBeGreaterThanOrEqual(expectedMaxSharpe(n, v) - 1e-12);
        },
      ),
    );
  });
});

describe('return moments', () => {
  it('computes Sharpe, skew and Pearson kurtosis of a series', () => {
    const m = returnMoments([0.01, -0.02, 0.03, 0.0, 0.01]);
    expect(m?.n).toBe(5);
    // mean 0.006, population sd 0.016248
    expect(m?.sharpe).toBeCloseTo(0.006 / Math.sqrt(0.000264), 6);
    expect(m?.kurtosis).toBeGreaterThan(1);
  });

  it('is null for a constant or too short series', () => {
    expect(returnMoments([0.01])).toBeNull();
    expect(returnMoments([0.01, 0.01, 0.01])).toBeNull();
  });
});

function ranked(
  rows: { sharpe?: number; n?: number; skew?: number; kurtosis?: number; returns?: number[] }[],
): RankedRun[] {
  return rows.map((row, i) => ({
    rank: i + 1,
    name: `run-${String(i).padStart(5, '0')}`,
    objective: row.sharpe ?? 0,
    values: {},
    run: {
      index: i,
      strategy: 's',
      params: { x: i },
      state: 'success',
      metrics: {
        kind: 'ok',
        file: {
          metrics: (row.sharpe === undefined ? { other: 1 } : { sharpe: row.sharpe }) as Record<
            string,
            number
          >,
          ...(row.n === undefined ? {} : { n_observations: row.n }),
          ...(row.skew === undefined ? {} : { skew: row.skew }),
          ...(row.kurtosis === undefined ? {} : { kurtosis: row.kurtosis }),
          ...(row.returns === undefined ? {} : { returns: row.returns }),
        },
      },
    },
  }));
}

describe('overfittingCheck', () => {
  it('states the missing moments instead of assuming normal returns', () => {
    const fields = ['n', 'skew', 'kurtosis'] as const;
    fc.assert(
      fc.property(fc.subarray([...fields], { minLength: 1 }), (absent) => {
        const row: Record<string, number> = { sharpe: 1.5, n: 500, skew: -0.5, kurtosis: 4 };
        for (const f of absent) delete row[f];
        const check = overfittingCheck(ranked([row, { sharpe: 1, n: 500, skew: 0, kurtosis: 3 }]), 2);
        expect(check.kind).toBe('unavailable');
        const expected = absent.map((f) => (f === 'n' ? 'n_observations' : f));
        if (check.kind === 'unavailable') {
          expect(check.missing.sort()).toEqual(expected.sort());
          for (const name of expected) expect(check.sentence).toContain(name);
        }
      }),
    );
  });

  it('fills missing moments from a returns series', () => {
    const returns = Array.from({ length: 300 }, (_, i) => 0.001 + 0.01 * Math.sin(i * 1.7));
    const check = overfittingCheck(ranked([{ sharpe: 1.2, returns }]), 1);
    expect(check.kind).toBe('computed');
    if (check.kind === 'computed') expect(check.observations).toBe(300);
  });

  it('says it plainly: best Sharpe over N combinations, DSR, significance', () => {
    const check = overfittingCheck(
      ranked([{ sharpe: 1.8, n: 252, skew: 0, kurtosis: 3 }, { sharpe: 1.0 }, { sharpe: 0.2 }]),
      9,
    );
    expect(check.kind).toBe('computed');
    expect(check.sentence).toMatch(
      /^best Sharpe 1\.8 over 9 combinations: DSR 0\.\d\d, not significant at 0\.95$/,
    );
  });
});
