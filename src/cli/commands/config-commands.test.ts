import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktestctl } from '../../../test/support/run-cli.js';

const examples = join(dirname(fileURLToPath(import.meta.url)), '../../../examples');

const cli = (args: string[], cwd: string) => runBacktestctl(args, { cwd, env: {} });

describe('backtestctl validate / expand / schema', () => {
  let repo: string;
  beforeAll(async () => {
    repo = await mkdtemp(join(tmpdir(), 'cli-config-'));
    await cp(examples, repo, { recursive: true });
    await writeFile(
      join(repo, 'backtests/broken.yaml'),
      'strategy_class: S\nstart_date: 2022-01-01\nend_date: 2021-01-01\nstop_los_pct: 5\n',
    );
    await writeFile(
      join(repo, 'backtests/grid_copy.yaml'),
      'dag_id: grid_search\nstrategy_class: S\nstart_date: 2022-01-01\nend_date: 2022-12-31\n',
    );
  });
  afterAll(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  it('validate on the examples: exit 0 and a summary', async () => {
    const r = await cli(['validate', '--repo', examples], process.cwd());
    expect(r).toEqual({ code: 0, stdout: '5 configs, 31 runs, 0 errors\n', stderr: '' });
  });

  it('validate prints compiler-style errors, collisions in both files, exit 1', async () => {
    const r = await cli(['validate'], repo);
    expect(r.code).toBe(1);
    // The first line of each diagnostic, as editors' and CI's problem matchers read them
    // (the source excerpts are covered by the golden tests in test/cli/diagnostics.test.ts).
    expect(r.stdout.split('\n').filter((line) => /^\S+:\d+:\d+: |^\d+ configs/.test(line))).toEqual([
      'backtests/broken.yaml:3:11: error[end-before-start]: end_date 2021-01-01 is before start_date 2022-01-01',
      'backtests/broken.yaml:4:1: error[unknown-key]: unknown key `stop_los_pct`',
      'backtests/grid_copy.yaml:1:9: error[dag-id-collision]: dag_id `grid_search` is also used by backtests/grid_search.yaml (`grid_search`)',
      'backtests/grid_search.yaml:1:1: error[dag-id-collision]: dag_id `grid_search` is also used by backtests/grid_copy.yaml (`grid_search`)',
      '7 configs, 22 runs, 4 errors',
    ]);
    expect(r.stdout).toContain(
      ['4 | stop_los_pct: 5', '  | ^^^^^^^^^^^^', '  = hint: did you mean `stop_loss_pct`?'].join('\n'),
    );
  });

  it('validate --format json has exactly the documented shape', async () => {
    const r = await cli(
      ['validate', '--format', 'json', 'backtests/broken.yaml', 'backtests/mixed_grid.yaml'],
      repo,
    );
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: false,
      configs: [{ file: 'backtests/mixed_grid.yaml', dag_id: 'mixed_grid', strategies: 1, runs: 9 }],
      errors: [
        {
          file: 'backtests/broken.yaml',
          line: 3,
          column: 11,
          end_line: 3,
          end_column: 21,
          severity: 'error',
          code: 'end-before-start',
          message: 'end_date 2021-01-01 is before start_date 2022-01-01',
          hint: 'swap the dates, or fix the one that is wrong',
        },
        {
          file: 'backtests/broken.yaml',
          line: 4,
          column: 1,
          end_line: 4,
          end_column: 13,
          severity: 'error',
          code: 'unknown-key',
          message: 'unknown key `stop_los_pct`',
          hint: 'did you mean `stop_loss_pct`?',
        },
      ],
    });
  });

  it('validate --format json gives hint null when an error has none', async () => {
    await writeFile(join(repo, 'backtests/syntax.yaml'), 'strategy_class: [S\n');
    try {
      const r = await cli(['validate', '--format', 'json', 'backtests/syntax.yaml'], repo);
      expect(JSON.parse(r.stdout)).toEqual({
        ok: false,
        configs: [],
        errors: [
          {
            file: 'backtests/syntax.yaml',
            line: 2,
            column: 1,
            end_line: 2,
            end_column: 2,
            severity: 'error',
            code: 'yaml-syntax',
            message: expect.stringMatching(/^YAML syntax error: /),
            hint: null,
          },
        ],
      });
    } finally {
      await rm(join(repo, 'backtests/syntax.yaml'));
    }
  });

  it('validate FILE still sees collisions with files it does not report on', async () => {
    const r = await cli(['validate', '--format', 'json', 'backtests/grid_copy.yaml'], repo);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).errors.map((e: { code: string }) => e.code)).toEqual(['dag-id-collision']);
    const clean = await cli(['validate', 'backtests/mixed_grid.yaml'], repo);
    expect(clean).toMatchObject({ code: 0, stdout: '1 configs, 9 runs, 0 errors\n' });
  });

  it('FILE arguments may be relative to the working directory or to --repo', async () => {
    const fromCwd = await cli(
      ['validate', '--repo', examples, join(examples, 'backtests/mixed_grid.yaml')],
      repo,
    );
    const fromRepo = await cli(['validate', '--repo', examples, 'backtests/mixed_grid.yaml'], repo);
    expect(fromCwd).toMatchObject({ code: 0, stdout: '1 configs, 9 runs, 0 errors\n' });
    expect(fromRepo).toEqual(fromCwd);
    expect((await cli(['validate', '--repo', examples, '../x.yaml'], repo)).code).toBe(2);
  });

  it('validate says so when no file is a config (a wrong --repo, say)', async () => {
    const r = await cli(['validate', '--repo', join(repo, 'backtests')], repo);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('0 configs, 0 runs, 0 errors\n');
    expect(r.stderr).toMatch(
      /^note: no config files in .* match backtests\/\*\*\/\*\.yaml, backtests\/\*\*\/\*\.yml\n$/,
    );
  });

  it('validate: usage and I/O problems exit 2', async () => {
    expect((await cli(['validate', '--repo', join(repo, 'missing')], repo)).code).toBe(2);
    expect((await cli(['validate', 'backtests/nope.yaml'], repo)).code).toBe(2);
    expect((await cli(['validate', '/elsewhere/x.yaml'], repo)).code).toBe(2);
    expect((await cli(['validate', '--format', 'xml'], repo)).code).toBe(2);
  });

  it('validate --environment applies environment defaults; an unknown one is a usage error', async () => {
    expect((await cli(['validate', '--environment', 'staging', '--repo', examples], repo)).code).toBe(0);
    const r = await cli(['validate', '--environment', 'qa', '--repo', examples], repo);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: environment `qa` is not defined in backtest-gitops.yaml\nhint: defined environments: staging, production\n',
    );
  });

  it('expand --format json prints every run with every effective parameter', async () => {
    const r = await cli(['expand', 'backtests/mixed_grid.yaml', '--format', 'json'], repo);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.dag_id).toBe('mixed_grid');
    expect(out.runs).toHaveLength(9);
    expect(out.runs[4]).toEqual({
      index: 4,
      strategy: 'mixed_grid',
      params: {
        strategy_class: 'LongShortEquityStrategy',
        start_date: '2022-01-01',
        end_date: '2022-12-31',
        initial_capital: 1000000,
        factors: ['DebtToEquity'],
        rebalance_period: 7,
        take_profit_pct: 10,
        stop_loss_pct: 5,
        cooldown_period: 5,
      },
    });
  });

  it('expand prints a readable table', async () => {
    const r = await cli(['expand', 'backtests/grid_search.yaml'], repo);
    expect(r.code).toBe(1); // grid_search collides with grid_copy in this repo
    const ok = await cli(['expand', '--repo', examples, join(examples, 'backtests/grid_search.yaml')], repo);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(
      [
        'grid_search (backtests/grid_search.yaml): 9 runs',
        '',
        'strategy grid_search: LongShortEquityStrategy, 2022-01-01 to 2022-12-31',
        // Values as written (and as the container gets them): 5.0 stays 5.0.
        '  same in every run: initial_capital=1000000.0 factors=["DebtToEquity"] rebalance_period=1',
        '  run  take_profit_pct  stop_loss_pct',
        '    0  5.0              3.0',
        '    1  5.0              5.0',
        '    2  5.0              8.0',
        '    3  10.0             3.0',
        '    4  10.0             5.0',
        '    5  10.0             8.0',
        '    6  15.0             3.0',
        '    7  15.0             5.0',
        '    8  15.0             8.0',
        '',
      ].join('\n'),
    );
  });

  it('expand of a config without a grid prints its one run', async () => {
    const r = await cli(['expand', '--repo', examples, 'backtests/single_backtest.yaml'], repo);
    expect(r.stdout).toBe(
      [
        'single_backtest (backtests/single_backtest.yaml): 1 run',
        '',
        'strategy single_backtest: LongShortEquityStrategy, 2022-01-01 to 2022-12-31',
        '  parameters: initial_capital=1000000.0 factors=["DebtToEquity"] rebalance_period=1 take_profit_pct=10.0 stop_loss_pct=5.0',
        '  run 0 (no param_grid)',
        '',
      ].join('\n'),
    );
  });

  it('expand of an invalid file prints its errors on stderr and exits 1', async () => {
    const r = await cli(['expand', 'backtests/broken.yaml'], repo);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('backtests/broken.yaml:4:1: error[unknown-key]');
  });

  it('schema prints the committed JSON Schema', async () => {
    const r = await cli(['schema'], repo);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      title: 'backtest',
      type: 'object',
      additionalProperties: false,
    });
  });

  it('every command has --help with examples', async () => {
    for (const command of ['validate', 'expand', 'schema']) {
      const r = await cli([command, '--help'], repo);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Examples:');
    }
  });
});
