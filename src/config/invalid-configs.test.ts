import { describe, expect, it } from 'vitest';
import { ISSUE_CODES } from './issue-codes.js';
import { loadConfigRepo } from './load-config-repo.js';
import { decodeConfigBytes } from './yaml-source.js';

/**
 * A table of invalid configs, each with the exact issue (code, line, column) it must
 * produce. Columns are 1-based and point at the offending key or value.
 */

const BASE = 'strategy_class: LongShortEquityStrategy\nstart_date: 2022-01-01\nend_date: 2022-12-31\n';
/** BASE plus lines: the first added line is line 4. */
const withLines = (...lines: string[]) => `${BASE}${lines.join('\n')}\n`;

interface Case {
  name: string;
  yaml: string;
  code: string;
  line: number;
  column: number;
  file?: string;
  hint?: RegExp;
}

const cases: Case[] = [
  {
    name: 'unknown key with typo',
    yaml: withLines('stop_los_pct: 5'),
    code: 'unknown-key',
    line: 4,
    column: 1,
    hint: /stop_loss_pct/,
  },
  {
    name: 'unknown key near a field',
    yaml: withLines('take_profit: 5'),
    code: 'unknown-key',
    line: 4,
    column: 1,
    hint: /take_profit_pct/,
  },
  {
    name: 'unknown key in callbacks',
    yaml: withLines('callbacks:', '  befor: a.b'),
    code: 'unknown-key',
    line: 5,
    column: 3,
    hint: /before/,
  },
  {
    name: 'duplicate key',
    yaml: withLines('stop_loss_pct: 5', 'stop_loss_pct: 6'),
    code: 'duplicate-key',
    line: 5,
    column: 1,
  },
  {
    name: 'impossible date',
    yaml: 'strategy_class: S\nstart_date: 2023-02-30\nend_date: 2023-12-31\n',
    code: 'invalid-date',
    line: 2,
    column: 13,
  },
  {
    name: 'date not zero-padded',
    yaml: 'strategy_class: S\nstart_date: 2022-1-01\nend_date: 2023-12-31\n',
    code: 'invalid-date',
    line: 2,
    column: 13,
  },
  {
    name: 'date with a time',
    yaml: 'strategy_class: S\nstart_date: 2022-01-01T00:00:00\nend_date: 2023-12-31\n',
    code: 'invalid-date',
    line: 2,
    column: 13,
  },
  {
    name: 'date as a number',
    yaml: 'strategy_class: S\nstart_date: 20220101\nend_date: 2023-12-31\n',
    code: 'invalid-type',
    line: 2,
    column: 13,
  },
  {
    name: 'end before start',
    yaml: 'strategy_class: S\nstart_date: 2022-06-01\nend_date: 2022-01-01\n',
    code: 'end-before-start',
    line: 3,
    column: 11,
  },
  {
    name: 'missing strategy_class',
    yaml: 'start_date: 2022-01-01\nend_date: 2022-12-31\n',
    code: 'missing-key',
    line: 1,
    column: 1,
  },
  {
    name: 'missing end_date',
    yaml: 'strategy_class: S\nstart_date: 2022-01-01\n',
    code: 'missing-key',
    line: 1,
    column: 1,
  },
  {
    name: 'strategy_class not a name',
    yaml: 'strategy_class: my strategy\nstart_date: 2022-01-01\nend_date: 2022-12-31\n',
    code: 'invalid-strategy-class',
    line: 1,
    column: 17,
  },
  {
    name: 'number in quotes',
    yaml: withLines('take_profit_pct: "10"'),
    code: 'invalid-type',
    line: 4,
    column: 18,
    hint: /quotes/,
  },
  {
    name: 'negative percentage',
    yaml: withLines('stop_loss_pct: -5'),
    code: 'invalid-value',
    line: 4,
    column: 16,
  },
  {
    name: 'fractional period',
    yaml: withLines('rebalance_period: 1.5'),
    code: 'invalid-type',
    line: 4,
    column: 19,
  },
  { name: 'zero capital', yaml: withLines('initial_capital: 0'), code: 'invalid-value', line: 4, column: 18 },
  {
    name: 'infinite capital',
    yaml: withLines('initial_capital: .inf'),
    code: 'invalid-type',
    line: 4,
    column: 18,
  },
  {
    name: 'factors not a list',
    yaml: withLines('factors: DebtToEquity'),
    code: 'invalid-type',
    line: 4,
    column: 10,
  },
  {
    name: 'empty factor name',
    yaml: withLines('factors: [DebtToEquity, ""]'),
    code: 'invalid-value',
    line: 4,
    column: 25,
  },
  {
    name: 'yes stays a string',
    yaml: withLines('cooldown_period: yes'),
    code: 'invalid-type',
    line: 4,
    column: 18,
  },
  {
    name: 'empty grid list',
    yaml: withLines('param_grid:', '  take_profit_pct: []'),
    code: 'empty-grid',
    line: 5,
    column: 20,
  },
  {
    name: 'grid value not a list',
    yaml: withLines('param_grid:', '  take_profit_pct: 5'),
    code: 'grid-not-a-list',
    line: 5,
    column: 20,
  },
  {
    name: 'grid key not a parameter',
    yaml: withLines('param_grid:', '  take_proft_pct: [1, 2]'),
    code: 'grid-unknown-key',
    line: 5,
    column: 3,
    hint: /take_profit_pct/,
  },
  {
    name: 'grid key of unknown params entry',
    yaml: withLines('param_grid:', '  lookback: [1, 2]'),
    code: 'grid-unknown-key',
    line: 5,
    column: 3,
  },
  {
    name: 'grid params. key not snake_case',
    yaml: withLines('param_grid:', '  params.LookBack: [1, 2]'),
    code: 'grid-unknown-key',
    line: 5,
    column: 3,
  },
  {
    name: 'grid value of wrong type',
    yaml: withLines('param_grid:', '  take_profit_pct: [5, ten]'),
    code: 'invalid-type',
    line: 5,
    column: 24,
  },
  {
    name: 'grid value out of range',
    yaml: withLines('param_grid:', '  stop_loss_pct: [3, -1]'),
    code: 'invalid-value',
    line: 5,
    column: 22,
  },
  {
    name: 'grid not a map',
    yaml: withLines('param_grid: [take_profit_pct]'),
    code: 'invalid-type',
    line: 4,
    column: 13,
  },
  {
    name: 'grid sweeps a name twice',
    yaml: withLines('params:', '  lookback: 5', 'param_grid:', '  lookback: [1]', '  params.lookback: [2]'),
    code: 'duplicate-grid-key',
    line: 8,
    column: 3,
  },
  {
    name: 'dag_id with a space',
    yaml: withLines('dag_id: my dag'),
    code: 'invalid-dag-id',
    line: 4,
    column: 9,
  },
  {
    name: 'dag_id too long',
    yaml: withLines(`dag_id: ${'d'.repeat(251)}`),
    code: 'invalid-dag-id',
    line: 4,
    column: 9,
  },
  {
    name: 'file name not a dag id',
    yaml: BASE,
    file: 'backtests/my backtest.yaml',
    code: 'invalid-dag-id',
    line: 1,
    column: 1,
  },
  {
    name: 'cron with 3 fields',
    yaml: withLines('schedule: "* * *"'),
    code: 'invalid-schedule',
    line: 4,
    column: 11,
  },
  {
    name: 'cron minute out of range',
    yaml: withLines('schedule: "61 * * * *"'),
    code: 'invalid-schedule',
    line: 4,
    column: 11,
  },
  {
    name: 'unknown preset',
    yaml: withLines('schedule: "@fortnightly"'),
    code: 'invalid-schedule',
    line: 4,
    column: 11,
  },
  { name: 'too many retries', yaml: withLines('retries: 11'), code: 'invalid-value', line: 4, column: 10 },
  {
    name: 'zero batch attempts',
    yaml: withLines('batch_attempts: 0'),
    code: 'invalid-value',
    line: 4,
    column: 17,
  },
  {
    name: 'callback not a dotted path',
    yaml: withLines('callbacks:', '  before: check_queue'),
    code: 'invalid-callback',
    line: 5,
    column: 11,
  },
  {
    name: 'jinja in batch queue',
    yaml: withLines('batch_job_queue: "{{ var.value.q }}"'),
    code: 'invalid-batch-resource',
    line: 4,
    column: 18,
  },
  {
    name: 'job definition with bad revision',
    yaml: withLines('batch_job_definition: engine:0'),
    code: 'invalid-batch-resource',
    line: 4,
    column: 23,
  },
  {
    name: 'bucket with uppercase',
    yaml: withLines('s3_bucket: My_Bucket'),
    code: 'invalid-s3-bucket',
    line: 4,
    column: 12,
  },
  {
    name: 'conn id with a space',
    yaml: withLines('db_conn_id: my db'),
    code: 'invalid-conn-id',
    line: 4,
    column: 13,
  },
  {
    name: 'password key',
    yaml: withLines('password: hunter2'),
    code: 'secret-in-config',
    line: 4,
    column: 1,
    hint: /db_conn_id/,
  },
  {
    name: 'seed db_config dictionary',
    yaml: withLines('db_config:', '  host: db'),
    code: 'secret-in-config',
    line: 4,
    column: 1,
  },
  {
    name: 'token in params',
    yaml: withLines('params:', '  api_token: abc'),
    code: 'secret-in-config',
    line: 5,
    column: 3,
  },
  {
    name: 'password nested in params',
    yaml: withLines('params:', '  db:', '    password: x'),
    code: 'secret-in-config',
    line: 6,
    column: 5,
  },
  {
    name: 'params key not snake_case',
    yaml: withLines('params:', '  LookBack: 5'),
    code: 'invalid-params-key',
    line: 5,
    column: 3,
  },
  {
    name: 'params key shadows a field',
    yaml: withLines('params:', '  factors: [x]'),
    code: 'params-shadows-field',
    line: 5,
    column: 3,
  },
  {
    name: 'params value infinite',
    yaml: withLines('params:', '  x: .inf'),
    code: 'invalid-type',
    line: 5,
    column: 6,
  },
  {
    name: 'tags with empty tag',
    yaml: withLines('tags: [ok, ""]'),
    code: 'invalid-value',
    line: 4,
    column: 12,
  },
  {
    name: 'description a number',
    yaml: withLines('description: 5'),
    code: 'invalid-type',
    line: 4,
    column: 14,
  },
  {
    name: 'empty strategies',
    yaml: withLines('strategies: []'),
    code: 'empty-strategies',
    line: 4,
    column: 13,
  },
  {
    name: 'strategy without name',
    yaml: withLines('strategies:', '  - strategy_class: A'),
    code: 'missing-key',
    line: 5,
    column: 5,
  },
  {
    name: 'strategy name with space',
    yaml: withLines('strategies:', '  - name: a b'),
    code: 'invalid-strategy-name',
    line: 5,
    column: 11,
  },
  {
    name: 'strategy named like a task of the DAG',
    yaml: withLines('strategies:', '  - name: before'),
    code: 'reserved-name',
    line: 5,
    column: 11,
  },
  {
    name: 'dag_id of the support package',
    yaml: withLines('dag_id: backtest_gitops_support'),
    code: 'reserved-name',
    line: 4,
    column: 9,
  },
  {
    name: 'duplicate strategy names',
    yaml: withLines('strategies:', '  - name: a', '  - name: a'),
    code: 'duplicate-strategy-name',
    line: 6,
    column: 11,
  },
  {
    name: 'dag key in a strategy',
    yaml: withLines('strategies:', '  - name: a', '    schedule: "@daily"'),
    code: 'dag-key-in-strategy',
    line: 6,
    column: 5,
  },
  {
    name: 'strategy lacks strategy_class',
    yaml: 'start_date: 2022-01-01\nend_date: 2022-12-31\nstrategies:\n  - name: a\n',
    code: 'missing-key',
    line: 4,
    column: 5,
  },
  {
    name: 'strategy end before top start',
    yaml: withLines('strategies:', '  - name: a', '    end_date: 2021-01-01'),
    code: 'end-before-start',
    line: 6,
    column: 15,
  },
  {
    name: 'strategy grid unknown key',
    yaml: withLines('strategies:', '  - name: a', '    param_grid:', '      bogus: [1]'),
    code: 'grid-unknown-key',
    line: 7,
    column: 7,
  },
  { name: 'name at top level', yaml: withLines('name: a'), code: 'unknown-key', line: 4, column: 1 },
  {
    name: 'grid over the cap',
    yaml: withLines(
      'param_grid:',
      `  params.a: [${Array.from({ length: 101 }, (_, i) => i).join(', ')}]`,
      `  params.b: [${Array.from({ length: 100 }, (_, i) => i).join(', ')}]`,
    ),
    code: 'grid-too-large',
    line: 5,
    column: 3,
  },
  { name: 'YAML syntax error', yaml: withLines('factors: [a, b'), code: 'yaml-syntax', line: 5, column: 1 },
  {
    name: 'bad indentation',
    yaml: withLines('callbacks:', '    before: a.b', '  after: a.c'),
    code: 'yaml-syntax',
    line: 6,
    column: 3,
  },
  {
    name: 'python object tag',
    yaml: withLines('params:', '  x: !!python/object:os.system ls'),
    code: 'yaml-custom-tag',
    line: 5,
    column: 6,
  },
  {
    name: 'binary tag',
    yaml: withLines('params:', '  x: !!binary aGVsbG8='),
    code: 'yaml-custom-tag',
    line: 5,
    column: 6,
  },
  {
    name: 'local tag',
    yaml: withLines('params:', '  x: !env HOME'),
    code: 'yaml-custom-tag',
    line: 5,
    column: 6,
  },
  { name: 'alias bomb', yaml: aliasBomb(), code: 'yaml-alias-limit', line: 1, column: 1 },
  {
    name: 'alias cycle',
    yaml: withLines('params:', '  x: &a [1, *a]'),
    code: 'yaml-alias-cycle',
    line: 5,
    column: 13,
  },
  {
    name: 'alias without anchor',
    yaml: withLines('params:', '  x: *nowhere'),
    code: 'yaml-unknown-alias',
    line: 5,
    column: 6,
  },
  { name: 'dag_id of dots only', yaml: withLines('dag_id: ..'), code: 'invalid-dag-id', line: 4, column: 9 },
  {
    name: 'dag_id with a slash',
    yaml: withLines('dag_id: dags/evil'),
    code: 'invalid-dag-id',
    line: 4,
    column: 9,
  },
  {
    name: 'credentials in a conn id',
    yaml: withLines('db_conn_id: "postgres://u:p@db/x"'),
    code: 'invalid-conn-id',
    line: 4,
    column: 13,
  },
  {
    name: 'NaN capital',
    yaml: withLines('initial_capital: .nan'),
    code: 'invalid-type',
    line: 4,
    column: 18,
  },
  {
    name: 'tab indentation',
    yaml: withLines('callbacks:', '\tbefore: a.b'),
    code: 'yaml-syntax',
    line: 5,
    column: 2,
  },
  {
    name: 'merge key is not special',
    yaml: withLines('params:', '  <<: {a: 1}'),
    code: 'invalid-params-key',
    line: 5,
    column: 3,
  },
  {
    name: 'Python-style number',
    yaml: withLines('initial_capital: 1_000_000'),
    code: 'invalid-type',
    line: 4,
    column: 18,
    hint: /write 1000000/,
  },
  {
    name: 'percent sign',
    yaml: withLines('stop_loss_pct: 5%'),
    code: 'invalid-type',
    line: 4,
    column: 16,
    hint: /plain number: 5/,
  },
  {
    name: 'list as a key',
    yaml: withLines('params:', '  ? [a]', '  : 1'),
    code: 'invalid-key',
    line: 5,
    column: 5,
  },
  { name: 'two documents', yaml: `${BASE}---\n${BASE}`, code: 'yaml-syntax', line: 4, column: 1 },
  { name: 'a list, not a map', yaml: '- strategy_class: S\n', code: 'not-a-mapping', line: 1, column: 1 },
  { name: 'empty file', yaml: '# nothing here\n', code: 'empty-file', line: 1, column: 1 },
  {
    name: 'deep nesting',
    yaml: withLines('params:', `  deep: ${'['.repeat(40)}1${']'.repeat(40)}`),
    code: 'yaml-too-deep',
    line: 5,
    column: 39,
  },
  {
    name: 'nesting deep enough to exhaust the parser',
    yaml: withLines('params:', `  deep: ${'['.repeat(5000)}1${']'.repeat(5000)}`),
    code: 'yaml-too-deep',
    line: 5,
    column: 9,
  },
  {
    name: 'not UTF-8 (Latin-1 bytes)',
    yaml: decodeConfigBytes(Buffer.from(`${BASE}description: caf\xe9\n`, 'latin1')),
    code: 'invalid-encoding',
    line: 1,
    column: 1,
  },
  {
    name: 'integer beyond 2^53',
    yaml: withLines('params:', '  seed: 12345678901234567891'),
    code: 'unsafe-integer',
    line: 5,
    column: 9,
    hint: /quote it/,
  },
  {
    name: 'NUL in a description',
    yaml: withLines('description: "a\\0b"'),
    code: 'unstorable-text',
    line: 4,
    column: 14,
  },
  {
    name: 'lone surrogate in a tag',
    yaml: withLines('tags: ["\\uD800"]'),
    code: 'unstorable-text',
    line: 4,
    column: 8,
  },
  {
    name: 'NUL in a nested param key',
    yaml: withLines('params:', '  conn: {"a\\0": 1}'),
    code: 'unstorable-text',
    line: 5,
    column: 10,
  },
  {
    name: 'schedule that never fires',
    yaml: withLines('schedule: "0 0 31 2 *"'),
    code: 'schedule-never-fires',
    line: 4,
    column: 11,
  },
  {
    name: 'schedule with a byte-order mark for a space',
    yaml: withLines('schedule: "0 6 * *\uFEFF1"'),
    code: 'invalid-schedule',
    line: 4,
    column: 11,
  },
  {
    name: 'secret through a grid key',
    yaml: withLines('params:', '  db: x', 'param_grid:', '  params.db_password: [hunter2]'),
    code: 'secret-in-config',
    line: 7,
    column: 3,
  },
  {
    name: 'secret in a map inside a grid value',
    yaml: withLines('params:', '  conn: {}', 'param_grid:', '  conn: [{password: hunter2}]'),
    code: 'secret-in-config',
    line: 7,
    column: 11,
  },
  {
    name: 'params.<config key> through the grid',
    yaml: withLines('param_grid:', '  params.description: [a, b]'),
    code: 'params-shadows-field',
    line: 5,
    column: 3,
  },
  {
    name: '101 strategies',
    yaml: withLines('strategies:', ...Array.from({ length: 101 }, (_, i) => `  - name: s${i}`)),
    code: 'too-many-strategies',
    line: 5,
    column: 3,
  },
  {
    name: 'prototype name as a grid key',
    yaml: withLines('param_grid:', '  toString: [1, 2]'),
    code: 'grid-unknown-key',
    line: 5,
    column: 3,
  },
  { name: 'NUL byte', yaml: `${BASE}\u0000`, code: 'invalid-encoding', line: 1, column: 1 },
  {
    name: 'file too large',
    yaml: `${BASE}description: "${'x'.repeat(300 * 1024)}"\n`,
    code: 'file-too-large',
    line: 1,
    column: 1,
  },
];

function aliasBomb(): string {
  const lines = [BASE.trimEnd(), 'params:', '  a0: &a0 [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 6; i += 1)
    lines.push(
      `  a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\n`;
}

describe('invalid configs', () => {
  it('has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it('covers every documented issue code (repo-level ones are tested in load-config-repo.test.ts and language-edges.test.ts)', () => {
    const repoLevel = ['dag-id-collision', 'unknown-environment', 'invalid-environment-name', 'skipped-file'];
    const covered = new Set([...cases.map((c) => c.code), ...repoLevel]);
    expect(Object.keys(ISSUE_CODES).filter((code) => !covered.has(code))).toEqual([]);
  });

  it.each(cases)('$name → $code at $line:$column', (c) => {
    const file = c.file ?? 'backtests/case.yaml';
    const result = loadConfigRepo(new Map([[file, c.yaml]]), { maxRunsPerDag: 10_000 });
    expect(result.specs).toEqual([]);
    expect(result.invalidFiles).toEqual([file]);
    const match = result.issues.find((i) => i.code === c.code);
    expect(match, JSON.stringify(result.issues, null, 1)).toMatchObject({
      file,
      code: c.code,
      line: c.line,
      column: c.column,
      severity: 'error',
    });
    if (c.hint) expect(match?.hint).toMatch(c.hint);
  });
});
