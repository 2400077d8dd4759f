import type { BacktestRun, BacktestSpec, JsonValue } from '../config/types.js';
import { STRATEGY_PARAMETER_KEYS } from '../config/types.js';
import { jsonObjectText, runParamJson } from '../config/written-json.js';
import { RenderError } from '../shared/errors.js';

/** One container environment variable, as AWS Batch's containerOverrides takes it. */
export interface EnvVar {
  name: string;
  value: string;
}

const SEED_KEYS: ReadonlySet<string> = new Set([
  'strategy_class',
  'start_date',
  'end_date',
  ...STRATEGY_PARAMETER_KEYS,
]);

/**
 * Environment variable name of a run parameter: the seed's parameters keep their own
 * upper-case names (STRATEGY_CLASS, TAKE_PROFIT_PCT, ...); free-form `params` get a
 * `PARAM_` prefix so a strategy parameter called `path` or `home` cannot clobber PATH/HOME.
 */
export function envName(key: string): string {
  const upper = key.toUpperCase();
  return SEED_KEYS.has(key) ? upper : `PARAM_${upper}`;
}

/**
 * Environment value of a parameter: strings as written, everything else as its JSON text
 * (`json`, as written in the config: `5.0` stays `5.0`, what Python's str() gives).
 */
export function envValue(value: JsonValue, json: string = JSON.stringify(value)): string {
  return typeof value === 'string' ? value : json;
}

/**
 * The exact environment a run's container gets, in this order:
 * 1. one variable per run parameter, in `run.params` order (strategy_class, start_date,
 *    end_date, then the strategy parameters as `expandRuns` orders them);
 * 2. BACKTEST_PARAMS (JSON of `run.params`), BACKTEST_RUN_INDEX, BACKTEST_STRATEGY,
 *    BACKTEST_DAG_ID, DB_CONN_ID (only when the strategy sets `db_conn_id`), BACKTEST_COMMIT
 *    (only when the config's last commit is known: `spec.source_commit`);
 * 3. RESULTS_S3_URI, appended by the Batch task when it runs (it contains the Airflow
 *    run id, so it is not part of this list; see `resultsS3Uri`).
 */
export function runEnvironment(run: BacktestRun, spec: BacktestSpec): EnvVar[] {
  const strategy = spec.strategies.find((s) => s.name === run.strategy);
  if (!strategy) {
    throw new RenderError(
      `run ${run.index} names strategy "${run.strategy}", which ${spec.dag_id} does not have`,
    );
  }
  let firstIndex = 0;
  for (const s of spec.strategies) {
    if (s === strategy) break;
    firstIndex += s.runs;
  }
  const texts = runParamJson(strategy, run.index - firstIndex, run.params);
  const env: EnvVar[] = texts.map(([key, json]) => ({
    name: envName(key),
    value: envValue(run.params[key] as JsonValue, json),
  }));
  assertUniqueNames(env, spec.dag_id);
  env.push({ name: 'BACKTEST_PARAMS', value: jsonObjectText(texts) });
  env.push({ name: 'BACKTEST_RUN_INDEX', value: String(run.index) });
  env.push(...strategyEnvironment(spec.dag_id, strategy.name, strategy.infra.db_conn_id, spec.source_commit));
  return env;
}

/** Two parameters with one variable name would leave the container only the last one. */
export function assertUniqueNames(env: readonly { name: string }[], dagId: string): void {
  const seen = new Set<string>();
  for (const { name } of env) {
    if (seen.has(name))
      throw new RenderError(`${dagId}: two parameters give the environment variable ${name}`);
    seen.add(name);
  }
}

/** The variables that are the same for every run of a strategy (after BACKTEST_RUN_INDEX). */
export function strategyEnvironment(
  dagId: string,
  strategy: string,
  dbConnId: string | null,
  commit?: string,
): EnvVar[] {
  const env: EnvVar[] = [
    { name: 'BACKTEST_STRATEGY', value: strategy },
    { name: 'BACKTEST_DAG_ID', value: dagId },
  ];
  if (dbConnId !== null) env.push({ name: 'DB_CONN_ID', value: dbConnId });
  // The config file's own last commit: it changes only when this config does, so the DAG's
  // bytes stay put across merges that leave the config alone.
  if (commit !== undefined) env.push({ name: 'BACKTEST_COMMIT', value: commit });
  return env;
}

/** Where a run writes its results; the rendered Batch task computes the same string at run time. */
export function resultsS3Uri(
  bucket: string,
  dagId: string,
  airflowRunId: string,
  strategy: string,
  index: number,
): string {
  return `s3://${bucket}/backtests/${dagId}/${airflowRunId}/${strategy}/run-${String(index).padStart(5, '0')}/`;
}
