/**
 * A corpus of hostile config files: each must be rejected with its file and a line and
 * column, and none may lead to a deployed DAG. Contents are Buffers so that wrong
 * encodings and binary data reach the reader exactly as a Git checkout would.
 */

const VALID_BODY = [
  'strategy_class: LongShortEquityStrategy',
  'start_date: 2022-01-01',
  'end_date: 2022-12-31',
  'factors: [DebtToEquity]',
].join('\n');

/** A valid config with `extra` appended (YAML), to make one thing wrong at a time. */
function withLines(...extra: string[]): string {
  return `${VALID_BODY}\n${extra.join('\n')}\n`;
}

function billionLaughs(levels: number, fanout: number): string {
  const lines = ['a0: &a0 "lol"'];
  for (let i = 1; i < levels; i += 1) {
    const refs = Array.from({ length: fanout }, () => `*a${i - 1}`).join(', ');
    lines.push(`a${i}: &a${i} [${refs}]`);
  }
  return `${VALID_BODY}\nparams:\n  bomb: *a${levels - 1}\n${lines.map((l) => `# ${l}`).join('\n')}\n`;
}

function aliasBomb(): string {
  // Anchors defined under `params` so that they are inside the document's mapping.
  const lines = [VALID_BODY, 'params:', '  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < 9; i += 1) {
    lines.push(`  a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

function deepNesting(depth: number): string {
  return withLines(`params:\n  deep: ${'['.repeat(depth)}1${']'.repeat(depth)}`);
}

function deepMappings(depth: number): string {
  let out = 'params:\n';
  for (let i = 0; i < depth; i += 1) out += `${'  '.repeat(i + 1)}k${i}:\n`;
  out += `${'  '.repeat(depth + 1)}leaf: 1\n`;
  return `${VALID_BODY}\n${out}`;
}

function megaGrid(keys: number, values: number): string {
  const lines = ['param_grid:'];
  for (let k = 0; k < keys; k += 1) {
    lines.push(`  params.p${k}: [${Array.from({ length: values }, (_, v) => v + 1).join(', ')}]`);
  }
  return withLines(...lines);
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');

export interface HostileFile {
  /** Path under the repo, e.g. `backtests/hostile/alias_bomb.yaml`. */
  path: string;
  content: Buffer;
  /** What the file attacks, for failure messages. */
  why: string;
}

export function hostileCorpus(): HostileFile[] {
  const files: [string, string | Buffer, string][] = [
    ['alias_bomb', aliasBomb(), 'billion laughs via nested aliases'],
    ['alias_bomb_commented', billionLaughs(12, 10), 'alias to an anchor that does not exist'],
    ['deep_flow_nesting', deepNesting(5000), 'deeply nested flow sequences'],
    ['deep_block_nesting', deepMappings(400), 'deeply nested block mappings'],
    ['huge_file', withLines(`description: "${'x'.repeat(2 * 1024 * 1024)}"`), 'a 2 MiB file'],
    [
      'huge_line_count',
      withLines(...Array.from({ length: 60_000 }, (_, i) => `# comment ${i}`), 'bogus_key: 1'),
      'many lines',
    ],
    ['duplicate_key', withLines('stop_loss_pct: 5', 'stop_loss_pct: 6'), 'duplicate keys'],
    [
      'duplicate_key_nested',
      withLines('callbacks:', '  before: a.b', '  before: c.d'),
      'duplicate nested keys',
    ],
    ['million_runs', megaGrid(6, 10), 'a 10^6-run grid'],
    ['million_runs_wide', megaGrid(20, 2), 'a 2^20-run grid'],
    [
      'python_tag',
      withLines('params:', '  x: !!python/object/apply:os.system ["touch /tmp/pwned"]'),
      'python object tag',
    ],
    ['python_name_tag', withLines('strategy_class2: !!python/name:os.system'), 'python name tag'],
    ['custom_tag', withLines('params:', '  x: !Ref SomeThing'), 'custom tag'],
    ['binary_tag', withLines('params:', '  x: !!binary aGVsbG8='), 'binary tag'],
    ['path_traversal_dag_id', withLines('dag_id: ../../etc/passwd'), 'path traversal in dag_id'],
    ['path_traversal_dag_id2', withLines('dag_id: ..'), 'dot-dot dag_id'],
    ['slash_dag_id', withLines('dag_id: dags/evil'), 'slash in dag_id'],
    ['backslash_dag_id', withLines('dag_id: "..\\\\evil"'), 'backslash in dag_id'],
    ['absolute_dag_id', withLines('dag_id: /tmp/evil'), 'absolute path dag_id'],
    ['unicode_dag_id', withLines('dag_id: "déjà_vu"'), 'non-ASCII dag_id'],
    ['long_dag_id', withLines(`dag_id: ${'a'.repeat(300)}`), 'dag_id over 250 chars'],
    ['space_dag_id', withLines('dag_id: "my dag"'), 'space in dag_id'],
    ['newline_dag_id', withLines('dag_id: "a\\nb"'), 'newline in dag_id'],
    ['jinja_queue', withLines('batch_job_queue: "{{ var.value.other_queue }}"'), 'Jinja in an infra field'],
    ['jinja_definition', withLines('batch_job_definition: "{% raw %}x"'), 'Jinja block in an infra field'],
    ['shell_queue', withLines('batch_job_queue: "q; rm -rf /"'), 'shell metacharacters in a queue name'],
    ['bad_bucket', withLines('s3_bucket: "Bad_Bucket..name"'), 'invalid S3 bucket'],
    ['bucket_with_path', withLines('s3_bucket: "bucket/../../x"'), 'path in S3 bucket'],
    [
      'callback_injection',
      withLines('callbacks:', '  before: "os.system(\'id\')"'),
      'code in a callback path',
    ],
    ['callback_not_dotted', withLines('callbacks:', '  after: print'), 'callback without a module'],
    ['password_key', withLines('password: hunter2'), 'a password in a config'],
    // Issue 14: what validated but then failed or changed meaning on MWAA.
    [
      'grid_secret',
      withLines('params:', '  db: x', 'param_grid:', '  params.db_password: [hunter2]'),
      'a password swept by the grid',
    ],
    [
      'grid_nested_secret',
      withLines('params:', '  conn: {}', 'param_grid:', '  conn: [{password: hunter2}]'),
      'a password inside a grid value',
    ],
    [
      'proto_grid_constructor',
      withLines('param_grid:', '  constructor: [1, 2]'),
      'Object.prototype name as grid key',
    ],
    ['proto_grid_tostring', withLines('param_grid:', '  toString: [1, 2]'), 'toString as grid key'],
    ['proto_grid_dunder', withLines('param_grid:', '  __proto__: [1, 2]'), '__proto__ as grid key'],
    ['proto_params_dunder', withLines('params:', '  __proto__: 1'), '__proto__ as params key'],
    [
      'proto_shadow',
      withLines('params:', '  tostring: safe', 'param_grid:', '  toString: [evil]'),
      'a grid key that would give PARAM_TOSTRING twice',
    ],
    ['nul_description', withLines('description: "a\\0b"'), 'NUL that PostgreSQL cannot store'],
    ['nul_tag', withLines('tags: ["a\\0"]'), 'NUL in a tag'],
    ['surrogate_owner', withLines('owner: "\\uD800"'), 'lone surrogate in the owner'],
    ['bom_schedule', withLines('schedule: "0 6 * *\uFEFF1"'), 'U+FEFF, not a space to Python, in a schedule'],
    ['never_schedule', withLines('schedule: "0 0 31 2 *"'), 'a schedule that never fires'],
    ['unsafe_integer', withLines('params:', '  seed: 12345678901234567891'), 'an integer beyond 2^53'],
    [
      'too_many_strategies',
      withLines('strategies:', ...Array.from({ length: 101 }, (_, i) => `  - name: s${i}`)),
      '101 strategies in one DAG',
    ],
    [
      'db_config_dict',
      withLines('db_config:', '  user: u', '  password: p'),
      "the seed's credentials dictionary",
    ],
    [
      'conn_id_with_secret',
      withLines('db_conn_id: "postgres://user:pass@db:5432/x"'),
      'a URI with credentials as conn id',
    ],
    ['impossible_date', 'strategy_class: S\nstart_date: 2023-02-30\nend_date: 2023-12-31\n', 'February 30th'],
    ['month_13', 'strategy_class: S\nstart_date: 2023-13-01\nend_date: 2023-12-31\n', 'month 13'],
    [
      'end_before_start',
      'strategy_class: S\nstart_date: 2023-12-31\nend_date: 2023-01-01\n',
      'end before start',
    ],
    ['word_date', 'strategy_class: S\nstart_date: yesterday\nend_date: 2023-01-01\n', 'not a date'],
    ['nan_capital', withLines('initial_capital: .nan'), 'NaN capital'],
    ['inf_capital', withLines('initial_capital: .inf'), 'infinite capital'],
    ['negative_capital', withLines('initial_capital: -5'), 'negative capital'],
    ['string_capital', withLines('initial_capital: "a lot"'), 'string capital'],
    ['empty_file', '', 'an empty file'],
    ['only_comments', '# nothing here\n# at all\n', 'only comments'],
    ['top_level_list', '- strategy_class: S\n', 'a list instead of a mapping'],
    ['top_level_scalar', 'just a string\n', 'a scalar instead of a mapping'],
    ['multi_document', `${VALID_BODY}\n---\n${VALID_BODY}\n`, 'two YAML documents in one file'],
    ['tab_indentation', `${VALID_BODY}\ncallbacks:\n\tbefore: a.b\n`, 'tab indentation'],
    ['unclosed_quote', `${VALID_BODY}\ndescription: "never closed\n`, 'an unclosed quote'],
    ['unclosed_flow', `${VALID_BODY}\ntags: [a, b\n`, 'an unclosed flow sequence'],
    ['unknown_key_typo', withLines('stop_los_pct: 5'), 'typo in a key'],
    ['grid_not_list', withLines('param_grid:', '  take_profit_pct: 5'), 'grid value not a list'],
    ['grid_empty_list', withLines('param_grid:', '  take_profit_pct: []'), 'empty grid list'],
    [
      'grid_unknown_key',
      withLines('param_grid:', '  take_profit: [1, 2]'),
      'grid key that is not a parameter',
    ],
    [
      'grid_wrong_type',
      withLines('param_grid:', '  take_profit_pct: [5, "ten"]'),
      'grid value of the wrong type',
    ],
    [
      'strategy_dup_names',
      withLines('strategies:', '  - name: a', '  - name: a'),
      'duplicate strategy names',
    ],
    [
      'strategy_dag_key',
      withLines('strategies:', '  - name: a', '    dag_id: nope'),
      'DAG-level key in a strategy',
    ],
    ['strategy_bad_name', withLines('strategies:', '  - name: "../x"'), 'path in a strategy name'],
    ['bad_schedule', withLines('schedule: "every day at noon"'), 'invalid schedule'],
    ['retries_huge', withLines('retries: 1000000'), 'absurd retries'],
    ['tags_not_list', withLines('tags: backtest'), 'tags not a list'],
    ['params_key_clobber', withLines('params:', '  stop_loss_pct: 5'), 'params key shadowing a field'],
    ['params_bad_key', withLines('params:', '  "PATH": /evil'), 'params key that is not snake_case'],
    ['missing_strategy_class', 'start_date: 2022-01-01\nend_date: 2022-12-31\n', 'missing required key'],
    [
      'merge_key',
      withLines('base: &b {stop_loss_pct: 5}', 'extra:', '  <<: *b'),
      'YAML merge keys / unknown keys',
    ],
    [
      'binary_garbage',
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)),
      'binary data',
    ],
    ['nul_bytes', Buffer.concat([utf8(VALID_BODY), Buffer.from([0, 0, 0]), utf8('\n')]), 'NUL bytes'],
    [
      'utf16_bom',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${VALID_BODY}\nbogus: 1\n`, 'utf16le')]),
      'UTF-16 encoding',
    ],
    ['latin1', Buffer.from(`${VALID_BODY}\ndescription: "caf\xe9"\n`, 'latin1'), 'Latin-1 encoding'],
    [
      'invalid_utf8_sequence',
      Buffer.concat([utf8(`${VALID_BODY}\ndescription: "`), Buffer.from([0xc3, 0x28]), utf8('"\n')]),
      'an invalid UTF-8 sequence',
    ],
  ];
  return files.map(([name, content, why]) => ({
    path: `backtests/hostile/${name}.yaml`,
    content: typeof content === 'string' ? utf8(content) : content,
    why,
  }));
}
