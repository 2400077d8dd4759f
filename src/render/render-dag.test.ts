import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildSpec, seedSpecs } from '../../test/airflow/spec-builder.js';
import { expandRuns } from '../config/expand-runs.js';
import { loadConfigRepo } from '../config/index.js';
import type { BacktestSpec } from '../config/types.js';
import { RenderError } from '../shared/errors.js';
import { VERSION } from '../shared/version.js';
import { buildDagPayload, type DagPayload } from './dag-payload.js';
import { renderDag, renderRepo, runEnvironment } from './index.js';
import { jobName, jobNamePrefix } from './job-name.js';

/** What the template's strategy_runs() computes, replayed in TypeScript over the payload. */
function replayPythonRuns(payload: DagPayload) {
  const out: { index: number; env: { name: string; value: string }[] }[] = [];
  for (const s of payload.strategies) {
    let combos: number[][] = [[]];
    for (const axis of s.grid) combos = combos.flatMap((c) => axis.map((_, i) => [...c, i]));
    combos.forEach((combo, offset) => {
      const env = s.params.map((p) => {
        const chosen = 'grid' in p ? (s.grid[p.grid]?.[combo[p.grid] ?? 0] ?? { value: '', json: '' }) : p;
        return { name: p.env, value: chosen.value, json: `${p.key}:${chosen.json}` };
      });
      out.push({
        index: s.first_index + offset,
        env: [
          ...env.map(({ name, value }) => ({ name, value })),
          { name: 'BACKTEST_PARAMS', value: `{${env.map((e) => e.json).join(',')}}` },
          { name: 'BACKTEST_RUN_INDEX', value: String(s.first_index + offset) },
          ...s.extra_env,
        ],
      });
    });
  }
  return out;
}

function embeddedJson(dag: string): string {
  const match = /CONFIG = json\.loads\(r'''([\s\S]*?)'''\)/.exec(dag);
  if (!match?.[1]) throw new Error('no CONFIG literal');
  return match[1];
}

describe('renderDag', () => {
  it('embeds the payload as one ASCII JSON literal without quotes that could end it', () => {
    const spec = buildSpec({
      dag_id: 'tricky',
      description: "it's ''' \"\"\" \\ \u2028 é 🚀 {{ var.value.x }} $& $1",
      strategies: [{ parameters: { initial_capital: 1, note: "a'b\\" } }],
    });
    const dag = renderDag(spec);
    const text = embeddedJson(dag);
    expect(text).not.toContain("'");
    expect(/^[\x20-\x7e\n]*$/.test(text)).toBe(true);
    expect(JSON.parse(text)).toEqual(buildDagPayload(spec));
    expect(dag.match(/'''/g)).toHaveLength(2);
    expect([...dag].every((ch) => ch.charCodeAt(0) < 0x80)).toBe(true);
  });

  it('writes the header: source, config sha256, generator version, no timestamp', () => {
    const spec = seedSpecs()[0] as BacktestSpec;
    const dag = renderDag(spec);
    expect(dag).toContain(`# source: "${spec.source}"`);
    expect(dag).toContain(`# config sha256: ${spec.source_sha256}`);
    expect(dag).toContain(`backtest-gitops ${VERSION}`);
    expect(dag).not.toMatch(/20\d\d-\d\d-\d\dT/);
  });

  it('keeps a newline in the source path out of the code', () => {
    const dag = renderDag(buildSpec({ dag_id: 'x', source: 'backtests/a\nimport os.yaml' }));
    expect(dag).toContain('# source: "backtests/a\\nimport os.yaml"');
  });

  it('is deterministic, also when non-semantic key order changes', () => {
    for (const spec of seedSpecs()) {
      const reordered = JSON.parse(JSON.stringify(spec, Object.keys(spec).reverse())) as BacktestSpec;
      const shuffled: BacktestSpec = {
        ...Object.fromEntries(Object.entries(spec).reverse()),
        callbacks: { after: spec.callbacks.after, before: spec.callbacks.before },
        strategies: spec.strategies.map((s) => ({
          ...Object.fromEntries(Object.entries(s).reverse()),
          infra: Object.fromEntries(Object.entries(s.infra).reverse()),
        })),
      } as BacktestSpec;
      expect(renderDag(spec)).toBe(renderDag(spec));
      expect(renderDag(shuffled)).toBe(renderDag(spec));
      expect(reordered.dag_id).toBe(spec.dag_id);
    }
  });

  it('refuses a strategy named like a top-level task in a multi-strategy DAG', () => {
    const spec = buildSpec({ dag_id: 'm', strategies: [{ name: 'before' }, { name: 'b' }] });
    expect(() => renderDag(spec)).toThrow(RenderError);
  });

  it('refuses template syntax in infra names, which go through Jinja', () => {
    const spec = buildSpec({ dag_id: 'm', strategies: [{ infra: { job_queue: '{{ x }}' } }] });
    expect(() => renderDag(spec)).toThrow(RenderError);
  });
});

describe('runEnvironment', () => {
  it('matches what the DAG computes from its payload, for every run', () => {
    for (const spec of seedSpecs()) {
      const expected = expandRuns(spec).map((run) => ({ index: run.index, env: runEnvironment(run, spec) }));
      expect(replayPythonRuns(buildDagPayload(spec))).toEqual(expected);
    }
  });

  it('names seed parameters as the seed did and prefixes free-form ones', () => {
    const spec = seedSpecs()[3] as BacktestSpec;
    const [first] = expandRuns(spec);
    const env = runEnvironment(first as NonNullable<typeof first>, spec);
    expect(env.map((e) => e.name)).toEqual([
      'STRATEGY_CLASS',
      'START_DATE',
      'END_DATE',
      'INITIAL_CAPITAL',
      'PARAM_LOOKBACK',
      'BACKTEST_PARAMS',
      'BACKTEST_RUN_INDEX',
      'BACKTEST_STRATEGY',
      'BACKTEST_DAG_ID',
    ]);
    expect(env.find((e) => e.name === 'BACKTEST_PARAMS')?.value).toBe(
      '{"strategy_class":"MomentumStrategy","start_date":"2022-01-01","end_date":"2022-12-31","initial_capital":500000,"lookback":20}',
    );
  });

  it('adds DB_CONN_ID when the strategy has one', () => {
    const spec = seedSpecs()[3] as BacktestSpec;
    const last = expandRuns(spec).at(-1);
    expect(runEnvironment(last as NonNullable<typeof last>, spec).at(-1)).toEqual({
      name: 'DB_CONN_ID',
      value: 'research_db',
    });
  });
});

describe('job names', () => {
  it('are valid AWS Batch names and unique per run, even for long odd dag ids', () => {
    for (const index of [0, 99999, 123456]) {
      const prefix = jobNamePrefix(`_${'x.'.repeat(120)}`, 'strategy', index);
      expect(jobName(prefix, index)).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/);
    }
  });
});

describe('renderRepo', () => {
  it('gives one file per DAG plus the support package, sorted, with sha256', () => {
    const files = renderRepo(seedSpecs());
    expect(files.map((f) => f.key)).toEqual([
      'backtest_gitops_support/__init__.py',
      'backtest_gitops_support/callbacks.py',
      'seed_grid.py',
      'seed_mixed.py',
      'seed_multi.py',
      'seed_single.py',
    ]);
    for (const f of files) expect(f.sha256).toBe(createHash('sha256').update(f.content).digest('hex'));
    expect(files.find((f) => f.key === 'seed_grid.py')).toMatchObject({ runs: 9, dag_id: 'seed_grid' });
  });

  it('refuses a dag_id that would shadow the support package', () => {
    expect(() => renderRepo([buildSpec({ dag_id: 'backtest_gitops_support' })])).toThrow(RenderError);
  });

  it('refuses two specs with one dag_id', () => {
    const [a] = seedSpecs();
    expect(() => renderRepo([a as BacktestSpec, { ...(a as BacktestSpec), source: 'other.yaml' }])).toThrow(
      RenderError,
    );
  });
});

describe('renderDag from YAML', () => {
  it('gives the same DAG when non-semantic keys are written in another order (only the sha256 differs)', () => {
    const a = [
      'description: Reordered keys',
      'tags: [backtest, demo]',
      'strategy_class: LongShortEquityStrategy',
      'start_date: 2022-01-01',
      'end_date: 2022-12-31',
      'callbacks: {before: backtest_gitops_support.callbacks.check_batch_queue_status, after: backtest_gitops_support.callbacks.generate_backtest_report}',
      'take_profit_pct: 10.0',
      'params: {lookback: 20, benchmark: SPY}',
      'param_grid: {stop_loss_pct: [3.0, 5.0], take_profit_pct: [5, 15]}',
      '',
    ].join('\n');
    const b = [
      'param_grid: {stop_loss_pct: [3.0, 5.0], take_profit_pct: [5, 15]}',
      'params: {lookback: 20, benchmark: SPY}',
      'callbacks: {after: backtest_gitops_support.callbacks.generate_backtest_report, before: backtest_gitops_support.callbacks.check_batch_queue_status}',
      'end_date: 2022-12-31',
      'take_profit_pct: 10.0',
      'start_date: 2022-01-01',
      'strategy_class: LongShortEquityStrategy',
      'tags: [backtest, demo]',
      'description: Reordered keys',
      '',
    ].join('\n');
    const render = (text: string) => {
      const result = loadConfigRepo(new Map([['backtests/reordered.yaml', text]]));
      expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
      const spec = result.specs[0] as BacktestSpec;
      return renderDag(spec).replaceAll(spec.source_sha256, '<sha256>');
    };
    expect(render(b)).toBe(render(a));
  });
});
