import { describe, expect, it } from 'vitest';
import { runEnvironment } from '../render/run-environment.js';
import { expandRuns } from './expand-runs.js';
import { loadConfigRepo } from './load-config-repo.js';
import type { BacktestSpec, ConfigRepoResult } from './types.js';
import { decodeConfigBytes } from './yaml-source.js';

const BASE = 'strategy_class: S\nstart_date: 2022-01-01\nend_date: 2022-12-31\n';
const load = (text: string, settings?: string): ConfigRepoResult => {
  const files = new Map([['backtests/x.yaml', text]]);
  if (settings !== undefined) files.set('backtest-gitops.yaml', settings);
  return loadConfigRepo(files);
};
function only(result: ConfigRepoResult): BacktestSpec {
  expect(result.issues).toEqual([]);
  return result.specs[0] as BacktestSpec;
}
/** `NAME=value` of every variable of every run. */
const env = (spec: BacktestSpec) =>
  expandRuns(spec).map((run) => runEnvironment(run, spec).map((v) => `${v.name}=${v.value}`));

describe('numbers reach the container as written', () => {
  it('floats as Python str() writes them, ints exactly, nested keys in written order', () => {
    const spec = only(
      load(
        `${BASE}take_profit_pct: 5.0\nparams:\n  a: -0.0\n  b: 1e-5\n  c: 1e16\n  d: 9007199254740991\n  e: {z: 1, 10: 2, 2: [1.0, 2]}\n  f: !!float 1\nparam_grid:\n  stop_loss_pct: [5.0, 2.5, 3]\n`,
      ),
    );
    const runs = env(spec);
    expect(runs.map((vars) => vars.find((v) => v.startsWith('STOP_LOSS_PCT=')))).toEqual([
      'STOP_LOSS_PCT=5.0',
      'STOP_LOSS_PCT=2.5',
      'STOP_LOSS_PCT=3',
    ]);
    expect(runs[0]).toEqual(
      expect.arrayContaining([
        'TAKE_PROFIT_PCT=5.0',
        'PARAM_A=-0.0',
        'PARAM_B=1e-05',
        'PARAM_C=1e+16',
        'PARAM_D=9007199254740991',
        'PARAM_E={"z":1,"10":2,"2":[1.0,2]}',
        'PARAM_F=1.0',
        'BACKTEST_PARAMS={"strategy_class":"S","start_date":"2022-01-01","end_date":"2022-12-31","initial_capital":1000000,"take_profit_pct":5.0,"stop_loss_pct":5.0,"a":-0.0,"b":1e-05,"c":1e+16,"d":9007199254740991,"e":{"z":1,"10":2,"2":[1.0,2]},"f":1.0}',
      ]),
    );
  });

  it('refuses integers beyond 2^53 with a hint to quote them; quoted they stay exact', () => {
    for (const big of ['12345678901234567891', '9007199254740993', '-9007199254740993', '0x20000000000001']) {
      const result = load(`${BASE}params:\n  seed: ${big}\n`);
      expect(result.issues.map((i) => [i.code, i.line, i.column])).toEqual([['unsafe-integer', 5, 9]]);
      expect(result.issues[0]?.hint).toContain(`"${big}"`);
    }
    const quoted = only(load(`${BASE}params:\n  seed: "12345678901234567891"\n`));
    expect(env(quoted)[0]).toContain('PARAM_SEED=12345678901234567891');
  });
});

describe('smaller edges of the language', () => {
  it('reads !!float 1 as a float and refuses !!float on text', () => {
    expect(only(load(`${BASE}stop_loss_pct: !!float 1\n`)).strategies[0]?.parameters.stop_loss_pct).toBe(1);
    expect(load(`${BASE}stop_loss_pct: !!float one\n`).issues.map((i) => i.code)).toEqual(['invalid-type']);
  });

  it('accepts a real U+FFFD; bytes that are not UTF-8 are invalid-encoding', () => {
    const spec = only(load(decodeConfigBytes(Buffer.from(`${BASE}description: "caf\uFFFD"\n`, 'utf8'))));
    expect(spec.description).toBe('caf\uFFFD');
    const latin1 = load(decodeConfigBytes(Buffer.from(`${BASE}description: caf\xe9\n`, 'latin1')));
    expect(latin1.issues.map((i) => i.code)).toEqual(['invalid-encoding']);
  });

  it('reads CR-only line ends as line breaks, with lines counted the same way', () => {
    expect(only(load(`${BASE}retries: 1\n`.replace(/\n/g, '\r'))).retries).toBe(1);
    const bad = load(`${BASE}stop_los_pct: 1\n`.replace(/\n/g, '\r'));
    expect(bad.issues.map((i) => `${i.line}:${i.column} ${i.code}`)).toEqual(['4:1 unknown-key']);
  });

  it('does not take max_tokens or tokenizer for secrets, but access_token and apiKey are', () => {
    only(load(`${BASE}params:\n  max_tokens: 512\n  tokenizer: bpe\n  tokens_per_batch: 3\n`));
    for (const key of [
      'access_token',
      'token',
      'githubToken',
      'api_key',
      'apiKey',
      'db_password',
      'client_secret',
    ]) {
      const result = load(`${BASE}params:\n  conf: {${key}: x}\n`);
      expect(
        result.issues.map((i) => i.code),
        key,
      ).toEqual(['secret-in-config']);
    }
  });

  it('finds secrets in the grid, in environments and in nested maps of grid values', () => {
    const grid = load(`${BASE}param_grid:\n  params.db_password: [hunter2]\n`);
    expect(grid.issues.map((i) => `${i.line}:${i.column} ${i.code}`)).toEqual(['5:3 secret-in-config']);
    const nested = load(`${BASE}params:\n  conn: {}\nparam_grid:\n  conn: [{user: a, password: hunter2}]\n`);
    expect(nested.issues.map((i) => `${i.line}:${i.column} ${i.code}`)).toEqual(['7:20 secret-in-config']);
    const settings = load(BASE, 'environments:\n  prod:\n    defaults:\n      params: {conn: {token: x}}\n');
    expect(settings.issues.map((i) => `${i.file}:${i.line} ${i.code}`)).toEqual([
      'backtest-gitops.yaml:4 secret-in-config',
    ]);
  });

  it('null in a strategy clears an inherited params entry, grid key, or the whole map', () => {
    const spec = only(
      load(
        `${BASE}params: {a: 1, b: 2, n: null}\nparam_grid: {take_profit_pct: [1, 2], a: [3, 4]}\nstrategies:\n  - name: keep\n  - name: clear_one\n    params: {b: null}\n    param_grid: {take_profit_pct: null}\n  - name: clear_all\n    params: null\n    param_grid: null\n`,
      ),
    );
    expect(spec.strategies.map((s) => [s.name, s.parameters, Object.keys(s.param_grid), s.runs])).toEqual([
      ['keep', { initial_capital: 1000000, a: 1, b: 2, n: null }, ['take_profit_pct', 'a'], 4],
      ['clear_one', { initial_capital: 1000000, a: 1, n: null }, ['a'], 2],
      ['clear_all', { initial_capital: 1000000 }, [], 1],
    ]);
  });

  it('treats params.<config key> the same through params and through the grid', () => {
    const viaParams = load(`${BASE}params:\n  description: x\n`);
    const viaGrid = load(`${BASE}param_grid:\n  params.description: [x]\n`);
    expect(viaParams.issues.map((i) => i.code)).toEqual(['params-shadows-field']);
    expect(viaGrid.issues.map((i) => i.code)).toEqual(['params-shadows-field']);
  });
});

describe('hard ceilings no setting lifts', () => {
  const grid = `${BASE}param_grid:\n  take_profit_pct: [${Array.from({ length: 101 }, (_, i) => i + 1).join(', ')}]\n  stop_loss_pct: [${Array.from({ length: 100 }, (_, i) => i + 1).join(', ')}]\n`;

  it('refuses max_runs_per_dag above 10,000 in backtest-gitops.yaml', () => {
    const result = load(BASE, 'max_runs_per_dag: 1000000\n');
    expect(result.issues.map((i) => [i.file, i.code])).toEqual([['backtest-gitops.yaml', 'invalid-value']]);
    expect(result.issues[0]?.hint).toMatch(/hard ceiling/);
  });

  it('refuses a 10,100-run grid even when the caller asks for a higher cap', () => {
    const result = loadConfigRepo(new Map([['backtests/x.yaml', grid]]), { maxRunsPerDag: 1_000_000 });
    expect(result.issues.map((i) => i.code)).toEqual(['grid-too-large']);
    expect(result.issues[0]?.message).toContain('more than max_runs_per_dag (10,000)');
    expect(result.issues[0]?.hint).toMatch(/hard ceiling/);
  });

  it('refuses more than 100 strategies in a DAG', () => {
    const strategies = (n: number) =>
      `${BASE}strategies:\n${Array.from({ length: n }, (_, i) => `  - name: s${i}\n`).join('')}`;
    expect(load(strategies(100)).specs).toHaveLength(1);
    expect(load(strategies(101)).issues.map((i) => [i.code, i.line])).toEqual([['too-many-strategies', 5]]);
  });
});

describe('DAG ids that share AWS Batch job names', () => {
  it('a.b and a_b collide, as do ids equal in their first 118 job-name characters', () => {
    const files = new Map([
      ['backtests/one.yaml', `dag_id: a.b\n${BASE}`],
      ['backtests/two.yaml', `dag_id: a_b\n${BASE}`],
      ['backtests/long1.yaml', `dag_id: ${'x'.repeat(118)}1\n${BASE}`],
      ['backtests/long2.yaml', `dag_id: ${'x'.repeat(118)}2\n${BASE}`],
      ['backtests/fine.yaml', `dag_id: a-b\n${BASE}`],
    ]);
    const result = loadConfigRepo(files);
    expect(result.specs.map((s) => s.dag_id)).toEqual(['a-b']);
    expect(result.issues.map((i) => `${i.file} ${i.code}`)).toEqual([
      'backtests/long1.yaml dag-id-collision',
      'backtests/long2.yaml dag-id-collision',
      'backtests/one.yaml dag-id-collision',
      'backtests/two.yaml dag-id-collision',
    ]);
    expect(result.issues[2]?.message).toBe(
      'dag_id `a.b` gives the same AWS Batch job names as backtests/two.yaml (`a_b`)',
    );
  });
});

describe('files that look like configs but are not read', () => {
  it('notes .YAML, .Yml and .json files under the include globs with a warning', () => {
    const files = new Map([
      ['backtests/ok.yaml', BASE],
      ['backtests/upper.YAML', BASE],
      ['backtests/mixed.Yml', BASE],
      ['backtests/grid.json', '{}'],
      ['.vscode/settings.json', '{}'],
    ]);
    const result = loadConfigRepo(files);
    expect(result.specs.map((s) => s.source)).toEqual(['backtests/ok.yaml']);
    expect(result.invalidFiles).toEqual([]);
    expect(result.issues.map((i) => `${i.file} ${i.severity} ${i.code} ${i.hint}`)).toEqual([
      'backtests/grid.json warning skipped-file configs are YAML; JSON is YAML too, so rename the file to .yaml',
      'backtests/mixed.Yml warning skipped-file rename it to mixed.yml',
      'backtests/upper.YAML warning skipped-file rename it to upper.yaml',
    ]);
  });
});

describe('bounded work on adversarial files', () => {
  it('gives did-you-mean hints to the first 50 unknown grid keys only, so many keys stay linear', () => {
    const params = Array.from({ length: 300 }, (_, i) => `  lookback_${i}: ${i}`).join('\n');
    const grid = Array.from({ length: 200 }, (_, i) => `  lookbak_${i}: [1]`).join('\n');
    const result = load(`${BASE}params:\n${params}\nparam_grid:\n${grid}\n`);
    expect(result.issues).toHaveLength(200);
    const hinted = result.issues.filter((i) => i.hint?.startsWith('did you mean'));
    expect(hinted).toHaveLength(50);
    expect(hinted[0]?.hint).toBe('did you mean `lookback_0`?');
  });

  it('names the first line of a duplicate key, for each of thousands of repeats', () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `  p${i % 2}: ${i}`).join('\n');
    const result = load(`${BASE}params:\n${lines}\n`);
    expect(result.issues).toHaveLength(2998);
    expect(result.issues[0]?.message).toBe('duplicate key `p0`: it already appears on line 5');
  });

  it('stops alias expansion at 100 uses or 10,000 values', () => {
    const uses = Array.from({ length: 101 }, (_, i) => `  b${i}: *a`).join('\n');
    const many = load(`${BASE}params:\n  a: &a [1]\n${uses}\n`);
    expect(many.issues.map((i) => i.code)).toEqual(['yaml-alias-limit']);
    const big = `[${Array.from({ length: 3000 }, () => '1').join(', ')}]`;
    const wide = load(`${BASE}params:\n  a: &a ${big}\n  b: *a\n  c: *a\n  d: *a\n  e: *a\n`);
    expect(wide.issues.map((i) => i.code)).toEqual(['yaml-alias-limit']);
    expect(
      only(load(`${BASE}params:\n  a: &a ${big}\n  b: *a\n  c: *a\n`)).strategies[0]?.parameters.c,
    ).toHaveLength(3000);
  });
});
