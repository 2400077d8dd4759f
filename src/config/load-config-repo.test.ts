import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expandRuns } from './expand-runs.js';
import { loadConfigRepo } from './load-config-repo.js';

const BASE = 'strategy_class: S\nstart_date: 2022-01-01\nend_date: 2022-12-31\n';
const repo = (entries: Record<string, string>, options = {}) =>
  loadConfigRepo(new Map(Object.entries(entries)), options);
const only = (result: ReturnType<typeof loadConfigRepo>) => {
  expect(result.issues).toEqual([]);
  expect(result.specs).toHaveLength(1);
  return result.specs[0] as NonNullable<(typeof result.specs)[0]>;
};

describe('loadConfigRepo', () => {
  it('fills defaults and hashes the file bytes', () => {
    const spec = only(repo({ 'backtests/a.yaml': BASE }));
    expect(spec).toMatchObject({
      source: 'backtests/a.yaml',
      dag_id: 'a',
      description: null,
      tags: [],
      schedule: null,
      owner: 'backtest-gitops',
      retries: 2,
      batch_attempts: 3,
      callbacks: { before: null, after: null },
      multi_strategy: false,
      runs: 1,
    });
    expect(spec.source_sha256).toBe(createHash('sha256').update(BASE).digest('hex'));
    expect(spec.strategies[0]).toEqual({
      name: 'a',
      strategy_class: 'S',
      start_date: '2022-01-01',
      end_date: '2022-12-31',
      parameters: { initial_capital: 1000000 },
      param_grid: {},
      infra: { job_queue: null, job_definition: null, results_bucket: null, db_conn_id: null },
      runs: 1,
    });
  });

  it('picks config files by the include globs (default backtests/**/*.y{a,}ml)', () => {
    const result = repo({
      'backtests/a.yaml': BASE,
      'backtests/team/b.yml': BASE,
      'other/c.yaml': 'not: [valid',
      'backtests/readme.md': 'x',
    });
    expect(result.specs.map((s) => s.source)).toEqual(['backtests/a.yaml', 'backtests/team/b.yml']);
    const custom = repo({
      'backtest-gitops.yaml': 'include: ["configs/*.yaml"]\n',
      'configs/x.yaml': BASE,
      'backtests/a.yaml': BASE,
    });
    expect(custom.specs.map((s) => s.source)).toEqual(['configs/x.yaml']);
  });

  it('reports every problem of every file in one pass, and still returns the valid files', () => {
    const result = repo({
      'backtests/bad.yaml': `${BASE}stop_los_pct: 5\nend_date2: 1\nparam_grid:\n  bogus: [1]\n  take_profit_pct: []\ntags: nope\n`,
      'backtests/worse.yaml': 'strategy_class: S\nstart_date: 2022-02-30\nend_date: 2021-01-01\n',
      'backtests/good.yaml': BASE,
    });
    expect(result.specs.map((s) => s.dag_id)).toEqual(['good']);
    expect(result.invalidFiles).toEqual(['backtests/bad.yaml', 'backtests/worse.yaml']);
    expect(result.issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.code}`)).toEqual([
      'backtests/bad.yaml:4:1 unknown-key',
      'backtests/bad.yaml:5:1 unknown-key',
      'backtests/bad.yaml:7:3 grid-unknown-key',
      'backtests/bad.yaml:8:20 empty-grid',
      'backtests/bad.yaml:9:7 invalid-type',
      'backtests/worse.yaml:2:13 invalid-date',
    ]);
  });

  it('reports colliding dag_ids in both files, also when they differ only in case', () => {
    const result = repo({
      'backtests/a/momentum.yaml': BASE,
      'backtests/b/momentum.yaml': BASE,
      'backtests/c.yaml': `dag_id: Momentum\n${BASE}`,
      'backtests/d.yaml': `dag_id: unique\n${BASE}`,
    });
    expect(result.specs.map((s) => s.dag_id)).toEqual(['unique']);
    const collisions = result.issues.filter((i) => i.code === 'dag-id-collision');
    expect(collisions.map((i) => `${i.file}:${i.line}:${i.column}`)).toEqual([
      'backtests/a/momentum.yaml:1:1',
      'backtests/b/momentum.yaml:1:1',
      'backtests/c.yaml:1:9',
    ]);
    expect(collisions[0]?.message).toContain('backtests/b/momentum.yaml');
    expect(collisions[0]?.message).toContain('backtests/c.yaml');
  });

  it('layers defaults: repo < environment < file < strategy; null clears an inherited value', () => {
    const settings = [
      'defaults:',
      '  owner: research',
      '  take_profit_pct: 7',
      '  batch_job_queue: default-queue',
      'environments:',
      '  prod:',
      '    defaults:',
      '      owner: prod-research',
      '      retries: 5',
      '',
    ].join('\n');
    const config = `${BASE}retries: 1\nstrategies:\n  - name: a\n  - name: b\n    take_profit_pct: null\n    batch_job_queue: b-queue\n`;
    const plain = repo({ 'backtest-gitops.yaml': settings, 'backtests/x.yaml': config });
    const spec = only(plain);
    expect(spec.owner).toBe('research');
    expect(spec.retries).toBe(1);
    expect(spec.strategies.map((s) => [s.parameters.take_profit_pct, s.infra.job_queue])).toEqual([
      [7, 'default-queue'],
      [undefined, 'b-queue'],
    ]);
    const prod = only(
      repo({ 'backtest-gitops.yaml': settings, 'backtests/x.yaml': config }, { environment: 'prod' }),
    );
    expect([prod.owner, prod.retries]).toEqual(['prod-research', 1]);
  });

  it('an unknown environment or an invalid settings file makes every config invalid', () => {
    const unknownEnv = repo(
      { 'backtest-gitops.yaml': 'environments:\n  prod: {}\n', 'backtests/x.yaml': BASE },
      { environment: 'stage' },
    );
    expect(unknownEnv.specs).toEqual([]);
    expect(unknownEnv.issues).toMatchObject([
      {
        file: 'backtest-gitops.yaml',
        line: 1,
        column: 1,
        code: 'unknown-environment',
        hint: 'defined environments: prod',
      },
    ]);
    const badSettings = repo({
      'backtest-gitops.yaml': 'defaults:\n  dag_id: x\nmax_runs: 5\n',
      'backtests/x.yaml': BASE,
    });
    expect(badSettings.specs).toEqual([]);
    expect(badSettings.invalidFiles).toEqual(['backtest-gitops.yaml', 'backtests/x.yaml']);
    expect(badSettings.issues.map((i) => `${i.line}:${i.column} ${i.code} ${i.hint ?? ''}`)).toEqual([
      '2:3 unknown-key ',
      '3:1 unknown-key did you mean `max_runs_per_dag`?',
    ]);
  });

  it('validates backtest-gitops.yaml strictly, with locations', () => {
    const settings = [
      'include: []',
      'environments:',
      '  Prod: {}',
      '  staging:',
      '    variables:',
      '      batch_job_queue: "{{ q }}"',
      '      bucket: x',
      'defaults:',
      '  params:',
      '    db:',
      '      password: x',
      '',
    ].join('\n');
    const result = repo({ 'backtest-gitops.yaml': settings, 'backtests/x.yaml': BASE });
    expect(result.issues.map((i) => `${i.line}:${i.column} ${i.code}`)).toEqual([
      '1:10 invalid-value',
      '3:3 invalid-environment-name',
      '6:24 invalid-batch-resource',
      '7:7 unknown-key',
      '11:7 secret-in-config',
    ]);
    expect(result.specs).toEqual([]);
  });

  it('still applies the valid parts of a broken settings file, so configs get no spurious errors', () => {
    const result = repo({
      'backtest-gitops.yaml': 'max_runs: 5\ndefaults:\n  start_date: 2022-01-01\n  retries: -1\n',
      'backtests/x.yaml': 'strategy_class: S\nend_date: 2022-12-31\n',
    });
    expect(result.issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.code}`)).toEqual([
      'backtest-gitops.yaml:1:1 unknown-key',
      'backtest-gitops.yaml:4:12 invalid-value',
    ]);
    expect(result.specs).toEqual([]);
    expect(result.invalidFiles).toEqual(['backtest-gitops.yaml', 'backtests/x.yaml']);
  });

  it('a broken backtest-gitops.yaml marks every candidate file invalid, whatever its include said', () => {
    // The include globs of a broken settings file cannot be trusted (a YAML error loses them,
    // an invalid include is pruned to the default): files they matched must still count as
    // invalid configs, or the planner would delete the DAGs of configs that still exist.
    const configs = { 'configs/a.yaml': BASE, 'backtests/b.yaml': BASE };
    const good = repo({ 'backtest-gitops.yaml': 'include: ["configs/*.yaml"]\n', ...configs });
    expect(good.specs.map((s) => s.source)).toEqual(['configs/a.yaml']);
    for (const broken of [
      'include: ["configs/*.yaml"]\nmax_runs_per_dag: [\n',
      'include: "configs/*.yaml"\n',
    ]) {
      const result = repo({ 'backtest-gitops.yaml': broken, ...configs });
      expect(result.specs).toEqual([]);
      expect(result.invalidFiles).toEqual(['backtest-gitops.yaml', 'backtests/b.yaml', 'configs/a.yaml']);
    }
  });

  it('reports errors in defaults at their line in backtest-gitops.yaml', () => {
    const result = repo({
      'backtest-gitops.yaml': 'defaults:\n  start_date: 2022-06-01\n',
      'backtests/x.yaml': 'strategy_class: S\nend_date: 2022-01-01\n',
    });
    expect(result.issues).toMatchObject([
      { file: 'backtests/x.yaml', line: 2, column: 11, code: 'end-before-start' },
    ]);
  });

  it('merges a top-level param_grid into each strategy key by key', () => {
    const spec = only(
      repo({
        'backtests/x.yaml': `${BASE}param_grid:\n  take_profit_pct: [1, 2]\n  stop_loss_pct: [3]\nstrategies:\n  - name: a\n  - name: b\n    param_grid:\n      stop_loss_pct: [4, 5, 6]\n      rebalance_period: [7]\n`,
      }),
    );
    expect(spec.strategies.map((s) => s.param_grid)).toEqual([
      { take_profit_pct: [1, 2], stop_loss_pct: [3] },
      { take_profit_pct: [1, 2], stop_loss_pct: [4, 5, 6], rebalance_period: [7] },
    ]);
    expect(spec.runs).toBe(2 + 6);
  });

  it('checks a top-level grid key against every strategy that inherits it', () => {
    const result = repo({
      'backtests/x.yaml': `${BASE}param_grid:\n  lookback: [1, 2]\nstrategies:\n  - name: a\n    params: {lookback: 5}\n  - name: b\n`,
    });
    expect(result.issues).toMatchObject([
      {
        line: 5,
        column: 3,
        code: 'grid-unknown-key',
        message: 'param_grid key `lookback` is not a parameter of strategy `b`',
      },
    ]);
  });

  it('grids may sweep params entries, params.<name> keys and parameters with no direct value', () => {
    const spec = only(
      repo({
        'backtests/x.yaml': `${BASE}params:\n  lookback: 20\n  mode: fast\nparam_grid:\n  lookback: [10, 30]\n  params.window: [5]\n  cooldown_period: [1, 2]\n`,
      }),
    );
    const strategy = spec.strategies[0];
    expect(Object.keys(strategy?.parameters ?? {})).toEqual(['initial_capital', 'lookback', 'mode']);
    expect(strategy?.param_grid).toEqual({ lookback: [10, 30], window: [5], cooldown_period: [1, 2] });
    const runs = expandRuns(spec);
    expect(runs).toHaveLength(4);
    expect(Object.keys(runs[0]?.params ?? {})).toEqual([
      'strategy_class',
      'start_date',
      'end_date',
      'initial_capital',
      'cooldown_period',
      'lookback',
      'mode',
      'window',
    ]);
    expect(runs.map((r) => [r.params.lookback, r.params.cooldown_period])).toEqual([
      [10, 1],
      [10, 2],
      [30, 1],
      [30, 2],
    ]);
  });

  it('keeps YAML 1.2 core semantics: no/on/yes and dates stay strings, 0o17 is a number', () => {
    const spec = only(
      repo({ 'backtests/x.yaml': `${BASE}params:\n  a: no\n  b: on\n  c: 2022-01-01\n  d: 0o17\n  e: ~\n` }),
    );
    expect(spec.strategies[0]?.parameters).toMatchObject({
      a: 'no',
      b: 'on',
      c: '2022-01-01',
      d: 15,
      e: null,
    });
  });

  it('locates issues the way editors count: CRLF line ends, a byte-order mark', () => {
    const crlf = repo({
      'backtests/x.yaml': `${BASE}stop_los_pct: 1\ntake_profit_pct: x\n`.replace(/\n/g, '\r\n'),
    });
    expect(crlf.issues.map((i) => `${i.line}:${i.column} ${i.code}`)).toEqual([
      '4:1 unknown-key',
      '5:18 invalid-type',
    ]);
    const bom = repo({ 'backtests/x.yaml': `\uFEFFbogus: 1\n${BASE}` });
    expect(bom.issues.map((i) => `${i.line}:${i.column} ${i.code}`)).toEqual(['1:1 unknown-key']);
    expect(repo({ 'backtests/x.yaml': `\uFEFF${BASE}` }).specs).toHaveLength(1);
  });

  it('names the single strategy after the dag_id, with dots made safe for task ids', () => {
    const spec = only(repo({ 'backtests/x.yaml': `dag_id: team.momentum-v2\n${BASE}` }));
    expect(spec.strategies[0]?.name).toBe('team_momentum-v2');
  });

  it('caps runs per DAG from the settings file, overridable by the caller', () => {
    const config = `${BASE}param_grid:\n  take_profit_pct: [1, 2, 3]\n  stop_loss_pct: [1, 2]\n`;
    const capped = repo({ 'backtest-gitops.yaml': 'max_runs_per_dag: 5\n', 'backtests/x.yaml': config });
    expect(capped.issues).toMatchObject([{ code: 'grid-too-large', line: 5, column: 3 }]);
    expect(capped.issues[0]?.message).toBe('this DAG expands to 6 runs, more than max_runs_per_dag (5)');
    expect(
      repo(
        { 'backtest-gitops.yaml': 'max_runs_per_dag: 5\n', 'backtests/x.yaml': config },
        { maxRunsPerDag: 6 },
      ).specs,
    ).toHaveLength(1);
  });

  it('counts runs over all strategies against the cap', () => {
    const config = `${BASE}param_grid:\n  take_profit_pct: [1, 2, 3]\nstrategies:\n  - name: a\n  - name: b\n`;
    expect(repo({ 'backtests/x.yaml': config }, { maxRunsPerDag: 5 }).issues.map((i) => i.code)).toEqual([
      'grid-too-large',
    ]);
  });

  it('is deterministic', () => {
    const files = {
      'backtests/x.yaml': `${BASE}param_grid:\n  take_profit_pct: [1, 2]\n`,
      'backtests/y.yaml': 'oops: [',
    };
    expect(JSON.stringify(repo(files))).toBe(JSON.stringify(repo(files)));
  });

  it('gives messages a researcher can act on', () => {
    const result = repo({ 'backtests/x.yaml': `${BASE}stop_los_pct: 5\nrebalance_period: "7"\n` });
    expect(result.issues.map((i) => [i.message, i.hint])).toEqual([
      ['unknown key `stop_los_pct`', 'did you mean `stop_loss_pct`?'],
      [
        '`rebalance_period` must be a whole number of days greater than 0, got the text "7"',
        'remove the quotes to write a number',
      ],
    ]);
  });
});
