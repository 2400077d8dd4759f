import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { expandRuns } from './expand-runs.js';
import { loadConfigRepo } from './load-config-repo.js';
import { CONFIG_KEYS } from './schema.js';

/** Random configs built only from valid values: the validator must accept every one. */
const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,15}$/);
const snake = fc
  .oneof(fc.stringMatching(/^[a-z][a-z0-9_]{0,12}$/), fc.constantFrom(...CONFIG_KEYS))
  .filter((k) => !/pass|secret|token|credential|key/.test(k));
const date = fc
  .date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const positive = fc.double({ min: 0.01, max: 1e9, noNaN: true });
const days = fc.integer({ min: 1, max: 365 });
const schedule = fc.constantFrom(null, '@daily', '@once', '0 6 * * 1-5', '*/15 * * * *', '30 2 1 JAN,JUL *');
const bucket = fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$/).filter((b) => !b.includes('--'));
const plainValue = fc.oneof(fc.integer(), fc.boolean(), fc.string({ maxLength: 10 }), fc.constant(null));

const configArb = fc
  .record(
    {
      strategy_class: name,
      dates: fc.tuple(date, date).map(([a, b]) => (a <= b ? [a, b] : [b, a])),
      initial_capital: positive,
      factors: fc.array(name, { maxLength: 3 }),
      take_profit_pct: positive,
      rebalance_period: days,
      schedule,
      s3_bucket: bucket,
      db_conn_id: fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/),
      params: fc.dictionary(snake, plainValue, { maxKeys: 3 }),
      grid: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }),
    },
    { requiredKeys: ['strategy_class', 'dates'] },
  )
  .map(({ dates, grid, params, ...rest }) => {
    const config: Record<string, unknown> = { ...rest, start_date: dates[0], end_date: dates[1] };
    const names = Object.keys(params ?? {}).filter((k) => !CONFIG_KEYS.includes(k) && k !== 'name');
    const cleanParams = Object.fromEntries(names.map((k) => [k, params?.[k]]));
    if (names.length > 0) config.params = cleanParams;
    if (grid && grid.length > 0) {
      config.param_grid = Object.fromEntries(
        grid.map((n, i) => [`params.sweep_${i}`, Array.from({ length: n }, (_, v) => v)]),
      );
    }
    return config;
  });

describe('valid configs (property)', () => {
  it('every config built from valid values is accepted, with the values it was given', () => {
    fc.assert(
      fc.property(configArb, (config) => {
        const result = loadConfigRepo(new Map([['backtests/generated.yaml', stringify(config)]]));
        expect(result.issues).toEqual([]);
        const spec = result.specs[0];
        const strategy = spec?.strategies[0];
        expect(strategy?.start_date).toBe(config.start_date);
        expect(strategy?.end_date).toBe(config.end_date);
        expect(spec?.schedule).toBe(config.schedule ?? null);
        for (const key of ['initial_capital', 'take_profit_pct', 'rebalance_period', 'factors']) {
          if (key in config) expect(strategy?.parameters[key]).toEqual(config[key]);
        }
        const grid = (config.param_grid ?? {}) as Record<string, unknown[]>;
        const runs = Object.values(grid).reduce((n, values) => n * values.length, 1);
        expect(spec?.runs).toBe(runs);
        expect(expandRuns(spec as NonNullable<typeof spec>)).toHaveLength(runs);
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});
