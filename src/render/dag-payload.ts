import { iterateRuns } from '../config/expand-runs.js';
import type { BacktestSpec, JsonValue, StrategySpec } from '../config/types.js';
import { gridValueJson, runParamJson } from '../config/written-json.js';
import { RenderError } from '../shared/errors.js';
import { renderDocMarkdown } from './doc-markdown.js';
import { jobNamePrefix } from './job-name.js';
import { assertUniqueNames, type EnvVar, envName, envValue, strategyEnvironment } from './run-environment.js';

/**
 * The CONFIG object embedded in a rendered DAG. Every string the container will see is
 * computed here, in TypeScript, so the Python only picks and concatenates precomputed
 * strings: numbers are never re-formatted by Python and `runEnvironment` agrees with the
 * DAG byte for byte.
 */
export interface DagPayload {
  dag_id: string;
  description: string | null;
  doc_md: string;
  tags: string[];
  schedule: string | null;
  owner: string;
  retries: number;
  batch_attempts: number;
  callbacks: { before: string | null; after: string | null };
  strategies: StrategyPayload[];
}

/** A precomputed parameter value: its env string and its JSON text for BACKTEST_PARAMS. */
interface ValueText {
  value: string;
  json: string;
}

/** A run parameter in `run.params` order: fixed (value inline) or the index of its grid axis. */
type ParamPayload = { env: string; key: string } & (ValueText | { grid: number });

export interface StrategyPayload {
  name: string;
  /** TaskGroup id in a multi-strategy DAG; null puts the Batch tasks at the top level. */
  group_id: string | null;
  first_index: number;
  runs: number;
  job_name_prefix: string;
  job_queue: string | null;
  job_definition: string | null;
  results_bucket: string | null;
  params: ParamPayload[];
  /** Grid axes in written order; itertools.product makes the last one vary fastest. */
  grid: ValueText[][];
  extra_env: EnvVar[];
}

/** Task ids at the top level of every DAG; a strategy group may not take them. */
const RESERVED_GROUP_IDS = new Set(['before', 'after', 'backtest']);

export function buildDagPayload(spec: BacktestSpec): DagPayload {
  let firstIndex = 0;
  const strategies = spec.strategies.map((strategy) => {
    const payload = strategyPayload(spec, strategy, firstIndex);
    firstIndex += payload.runs;
    return payload;
  });
  return {
    dag_id: spec.dag_id,
    description: spec.description,
    doc_md: renderDocMarkdown(spec),
    tags: [...spec.tags],
    schedule: spec.schedule,
    owner: spec.owner,
    retries: spec.retries,
    batch_attempts: spec.batch_attempts,
    callbacks: { before: spec.callbacks.before, after: spec.callbacks.after },
    strategies,
  };
}

function strategyPayload(spec: BacktestSpec, strategy: StrategySpec, firstIndex: number): StrategyPayload {
  if (spec.multi_strategy && RESERVED_GROUP_IDS.has(strategy.name)) {
    throw new RenderError(
      `strategy "${strategy.name}" of ${spec.dag_id} clashes with a task id the DAG uses`,
      `rename the strategy; ${[...RESERVED_GROUP_IDS].join(', ')} are reserved`,
    );
  }
  const gridKeys = Object.keys(strategy.param_grid);
  const grid = gridKeys.map((key) =>
    (strategy.param_grid[key] ?? []).map((value, i) => valueText(value, gridValueJson(strategy, key, i))),
  );
  const runs = grid.reduce((product, axis) => product * axis.length, 1);
  const order = paramOrder(spec, strategy);
  const direct = new Map(runParamJson(strategy, 0, Object.fromEntries(order)));
  const params: ParamPayload[] = order.map(([key, value]) => {
    const base = { env: envName(key), key: JSON.stringify(key) };
    const axis = gridKeys.indexOf(key);
    return axis >= 0 ? { ...base, grid: axis } : { ...base, ...valueText(value, direct.get(key) as string) };
  });
  assertUniqueNames(
    params.map((p) => ({ name: p.env })),
    spec.dag_id,
  );
  return {
    name: strategy.name,
    group_id: spec.multi_strategy ? strategy.name : null,
    first_index: firstIndex,
    runs,
    job_name_prefix: jobNamePrefix(
      spec.dag_id,
      spec.multi_strategy ? strategy.name : null,
      firstIndex + runs - 1,
    ),
    job_queue: infraName(spec, 'batch_job_queue', strategy.infra.job_queue),
    job_definition: infraName(spec, 'batch_job_definition', strategy.infra.job_definition),
    results_bucket: infraName(spec, 's3_bucket', strategy.infra.results_bucket),
    params,
    grid,
    extra_env: strategyEnvironment(spec.dag_id, strategy.name, strategy.infra.db_conn_id, spec.source_commit),
  };
}

/**
 * The keys of a run's params with their direct values, in the order `expandRuns` gives
 * them (taken from the strategy's first run, so the two can never disagree). Grid keys
 * carry their first grid value, which the payload replaces by a grid axis reference.
 */
export function paramOrder(spec: BacktestSpec, strategy: StrategySpec): [string, JsonValue][] {
  const first = iterateRuns({ ...spec, strategies: [strategy] }).next();
  if (first.done) throw new RenderError(`strategy ${strategy.name} has an empty param_grid list`);
  return Object.entries(first.value.params);
}

function valueText(value: JsonValue, json: string): ValueText {
  return { value: envValue(value, json), json };
}

/**
 * Infra names are the only config strings that go through Jinja (their fallback is a
 * `{{ var.value.* }}` template), so they must not hold template syntax themselves.
 */
function infraName(spec: BacktestSpec, key: string, value: string | null): string | null {
  if (value !== null && /[{}]/.test(value)) {
    throw new RenderError(`${key} "${value}" in ${spec.source} contains { or }`, 'use the plain AWS name');
  }
  return value;
}
