import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BacktestSpec } from '../../src/config/types.js';
import { renderRepo } from '../../src/render/index.js';
import { type DagBagReport, probeDagBag } from '../support/airflow.js';
import { AIRFLOW_VENVS } from '../support/python.js';
import { dagProblems } from './expected-dag.js';
import { buildSpec } from './spec-builder.js';
import { writeDagFolder } from './write-dag-folder.js';

const SPECS = 200;
let scratch = '';
let sentinel = '';
let folder = '';
let specs: BacktestSpec[] = [];
const reports = new Map<string, DagBagReport>();

/** Pieces that break naive code generation: quotes, escapes, template syntax, code. */
function nastyFragments(sentinelPath: string): string[] {
  const payload = `__import__('os').system('touch ${sentinelPath}')`;
  return [
    "'",
    "'''",
    '"',
    '"""',
    '\\',
    '\\\\',
    "\\'''",
    '\n',
    '\r\n',
    '\r',
    '\t',
    '\u0000',
    '\u2028',
    '\u2029',
    '\u0085',
    '\ufeff',
    'é',
    '中文',
    '🚀',
    '👩‍🔬',
    '{{ var.value.x }}',
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    '{% for x in range(3) %}{{ x }}{% endfor %}',
    '{# comment #}',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell-style expansion must stay literal
    '${HOME}',
    '$(touch /tmp/x)',
    '`id`',
    '$&',
    "$'",
    '$`',
    '$1',
    payload,
    `'''); ${payload} #`,
    `"""); ${payload} #`,
    `\n${payload}\n`,
    '# --- backtest-gitops:end-config ---\nimport os\n',
    '\\u0027',
    '\\x27',
    '%s %d %(x)s',
    '../../etc/passwd.md',
  ];
}

function nastyString(sentinelPath: string): fc.Arbitrary<string> {
  const piece = fc.oneof(
    fc.constantFrom(...nastyFragments(sentinelPath)),
    fc.string({ unit: 'grapheme', maxLength: 6 }),
    fc.string({ unit: 'binary', maxLength: 4 }),
  );
  return fc.array(piece, { minLength: 1, maxLength: 5 }).map((parts) => parts.join(''));
}

function fuzzSpecs(sentinelPath: string): BacktestSpec[] {
  const str = nastyString(sentinelPath);
  const specArb = fc.record({
    description: str,
    tags: fc.uniqueArray(
      str.filter((t) => t.length <= 90),
      { minLength: 1, maxLength: 3 },
    ),
    owner: str,
    source: str,
    strategy_class: str,
    factors: fc.array(str, { maxLength: 3 }),
    universe: fc.array(str, { maxLength: 3 }),
    note: str,
    nested: fc.dictionary(fc.constantFrom('a', 'b', 'c'), str),
    grid: fc.uniqueArray(str, { minLength: 1, maxLength: 4 }),
    db_conn_id: str,
    multi: fc.boolean(),
  });
  return fc.sample(specArb, { seed: 424242, numRuns: SPECS }).map((v, i) => {
    const strategy = {
      strategy_class: v.strategy_class,
      parameters: {
        initial_capital: 1000000,
        factors: v.factors,
        universe: v.universe,
        note: v.note,
        nested: v.nested,
      },
      param_grid: { label: v.grid },
      infra: { db_conn_id: v.db_conn_id },
    };
    return buildSpec({
      dag_id: `fuzz_${String(i).padStart(3, '0')}`,
      source: `backtests/${v.source}.yaml`,
      description: v.description,
      tags: v.tags,
      owner: v.owner,
      strategies: v.multi
        ? [
            { ...strategy, name: 'first' },
            { ...strategy, name: 'second' },
          ]
        : [strategy],
    });
  });
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'render-fuzz-'));
  sentinel = join(scratch, 'pwned');
  specs = fuzzSpecs(sentinel);
  folder = await writeDagFolder(renderRepo(specs), 'fuzz');
  for (const { venv } of AIRFLOW_VENVS) reports.set(venv, await probeDagBag(venv, folder));
});

afterAll(async () => {
  for (const dir of [scratch, folder]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe.each(AIRFLOW_VENVS)('injection fuzz in $label', ({ venv }) => {
  it('generated thousands of hostile strings', () => {
    const strings = specs.reduce((n, s) => n + 10 + s.tags.length + s.strategies.length * 8, 0);
    expect(strings).toBeGreaterThan(2000);
  });

  it('loads every fuzzed DAG with zero import errors', () => {
    const report = reports.get(venv) as DagBagReport;
    expect(report.import_errors).toEqual({});
    expect(Object.keys(report.dags)).toHaveLength(SPECS);
  });

  it('round-trips every string exactly into the DAG (env of every run, description, tags, owner, doc)', () => {
    const report = reports.get(venv) as DagBagReport;
    expect(specs.flatMap((spec) => dagProblems(spec, report.dags[spec.dag_id]))).toEqual([]);
  });

  it('executes nothing: the sentinel file was never created', () => {
    expect(existsSync(sentinel)).toBe(false);
  });
});
