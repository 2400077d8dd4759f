import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runEnvironment } from '../render/run-environment.js';
import { expandRuns } from './expand-runs.js';
import { loadConfigRepo } from './load-config-repo.js';
import { ENVIRONMENT_NAME, PARAMS_KEY, STRATEGY_NAME } from './patterns.js';
import type { ConfigRepoResult } from './types.js';

/**
 * Every name Object.prototype has (constructor, toString, hasOwnProperty, __proto__, ...)
 * in every place a config key can be written: each must behave as any other name would,
 * never as the inherited property. Checked: the run count, the container environment and
 * the issues.
 */
const NAMES = [...new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__'])];
const BASE = 'strategy_class: S\nstart_date: 2022-01-01\nend_date: 2022-12-31\n';
const FILE = 'backtests/x.yaml';

function load(config: string, settings?: string, environment?: string): ConfigRepoResult {
  const files = new Map([[FILE, `${BASE}${config}`]]);
  if (settings !== undefined) files.set('backtest-gitops.yaml', settings);
  return loadConfigRepo(files, environment === undefined ? {} : { environment });
}

function codes(result: ConfigRepoResult): string[] {
  return result.issues.map((i) => i.code);
}

/** The environment of every run, as `NAME=value` lines, one list per run. */
function environments(result: ConfigRepoResult): string[][] {
  const spec = result.specs[0];
  if (!spec) return [];
  return expandRuns(spec).map((run) => runEnvironment(run, spec).map((e) => `${e.name}=${e.value}`));
}

const q = (name: string) => JSON.stringify(name);
const isParamsName = (name: string) => PARAMS_KEY.test(name);

function checkName(name: string, size: number): void {
  const values = `[${Array.from({ length: size }, (_, i) => i + 1).join(', ')}]`;

  // params key: valid only if snake_case; then exactly one PARAM_ variable.
  const params = load(`params:\n  ${q(name)}: 7\n`);
  if (isParamsName(name)) {
    const env = environments(params);
    expect(env).toHaveLength(1);
    expect(env[0]?.filter((e) => e.startsWith(`PARAM_${name.toUpperCase()}=`))).toEqual([
      `PARAM_${name.toUpperCase()}=7`,
    ]);
  } else {
    expect(codes(params)).toEqual(['invalid-params-key']);
  }

  // A bare grid key that no parameter defines is unknown, whatever Object.prototype has.
  expect(codes(load(`param_grid:\n  ${q(name)}: ${values}\n`))).toEqual(['grid-unknown-key']);

  // params.<name> in the grid: `size` runs with the swept values, or an invalid key.
  const grid = load(`param_grid:\n  ${q(`params.${name}`)}: ${values}\n`);
  if (isParamsName(name)) {
    const env = environments(grid);
    expect(env).toHaveLength(size);
    env.forEach((vars, i) => {
      expect(vars.filter((v) => v.startsWith(`PARAM_${name.toUpperCase()}=`))).toEqual([
        `PARAM_${name.toUpperCase()}=${i + 1}`,
      ]);
    });
  } else {
    expect(codes(grid)).toEqual(['grid-unknown-key']);
  }

  // A lower-case params name and a grid key spelled like the prototype's never both land.
  const mixed = load(`params:\n  ${q(name.toLowerCase())}: safe\nparam_grid:\n  ${q(name)}: [evil]\n`);
  if (name.toLowerCase() === name && isParamsName(name)) {
    const env = environments(mixed)[0] ?? [];
    expect(env.filter((v) => v.startsWith(`PARAM_${name.toUpperCase()}=`))).toEqual([
      `PARAM_${name.toUpperCase()}=evil`,
    ]);
  } else {
    expect(mixed.specs).toEqual([]);
    expect(environments(mixed)).toEqual([]);
  }

  // Nested map key: kept as written in BACKTEST_PARAMS, as an own key.
  const nested = load(`params:\n  conf: {${q(name)}: 1}\n`);
  const backtestParams = environments(nested)[0]?.find((v) => v.startsWith('BACKTEST_PARAMS='));
  expect(backtestParams).toContain(`"conf":{${q(name)}:1}`);

  // Strategy name: a name like any other (or refused by the strategy-name rule).
  const strategy = load(`strategies:\n  - name: ${q(name)}\n    param_grid: {take_profit_pct: ${values}}\n`);
  if (STRATEGY_NAME.test(name)) {
    expect(strategy.specs[0]?.strategies.map((s) => [s.name, s.runs])).toEqual([[name, size]]);
    expect(environments(strategy)[0]).toContain(`BACKTEST_STRATEGY=${name}`);
  } else {
    expect(codes(strategy)).toEqual(['invalid-strategy-name']);
  }

  // Top-level, defaults and callbacks keys: unknown keys.
  expect(codes(load(`${q(name)}: 1\n`))).toEqual(['unknown-key']);
  expect(codes(load('', `defaults:\n  ${q(name)}: 1\n`))).toEqual(['unknown-key']);
  expect(codes(load(`callbacks:\n  ${q(name)}: a.b\n`))).toEqual(['unknown-key']);

  // Environments: defined ones apply, undefined ones are unknown (never inherited).
  const envSettings = `environments:\n  ${q(name)}:\n    defaults: {owner: team_${size}}\n`;
  const defined = load('', envSettings, name);
  if (ENVIRONMENT_NAME.test(name)) {
    expect(defined.specs[0]?.owner).toBe(`team_${size}`);
  } else {
    expect(codes(defined)).toContain('invalid-environment-name');
    expect(defined.specs).toEqual([]);
  }
  const undefinedEnv = load('', 'environments: {}\n', name);
  expect(codes(undefinedEnv)).toEqual(['unknown-environment']);
  expect(codes(load('', undefined, name))).toEqual(['unknown-environment']);
}

describe('Object.prototype names as config keys', () => {
  it('include __proto__ and constructor', () => {
    expect(NAMES).toContain('__proto__');
    expect(NAMES).toContain('constructor');
  });

  it.each(NAMES)('%s behaves as a plain name in every key position', (name) => {
    checkName(name, 2);
  });

  it('hold for any name and grid size (property)', () => {
    fc.assert(fc.property(fc.constantFrom(...NAMES), fc.integer({ min: 1, max: 3 }), checkName), {
      numRuns: 25,
    });
  }, 60_000);
});
