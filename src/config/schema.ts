import { z } from 'zod';
import { isIsoCalendarDate } from './dates.js';
import { HARD_MAX_RUNS_PER_DAG, HARD_MAX_STRATEGIES_PER_DAG, MAX_DAG_ID_LENGTH } from './limits.js';
import {
  BATCH_JOB_DEFINITION,
  BATCH_JOB_QUEUE,
  CONN_ID,
  DAG_ID,
  DOTTED_PYTHON_PATH,
  ENVIRONMENT_NAME,
  looksLikeSecretKey,
  PARAMS_KEY,
  S3_BUCKET,
  STRATEGY_CLASS,
  STRATEGY_NAME,
} from './patterns.js';
import { SCHEDULE_PRESETS, scheduleProblem } from './schedule.js';

/** A metric name in metrics.json (letters, digits, _), as report.objective and report.metrics take it. */
const METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * The zod schemas of a config file and of backtest-gitops.yaml. They are the single source
 * of truth for validation (src/config/validate-file.ts) and for the JSON Schema editors use
 * (`backtestctl schema`). Optional keys accept `null`, meaning "not set here": a strategy
 * entry can clear a value it would otherwise inherit from the top level or the defaults.
 * strategy_class and the dates are optional here because they may come from the top level
 * or the repo defaults; their presence is checked after the layers are merged.
 */

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((text) => !/^\d{4}-\d{2}-\d{2}$/.test(text) || isIsoCalendarDate(text), {
    params: { code: 'invalid-date' },
  });

const positiveNumber = z.number().gt(0);
const positiveInt = z.int().gt(0);
const nameList = z.array(z.string().min(1));

/** Schemas of the strategy parameters; param_grid values are checked against the same ones. */
export const parameterSchemas = {
  initial_capital: positiveNumber.describe('Starting capital of the backtest (default 1000000).'),
  factors: nameList.describe('Factor names the strategy uses, e.g. [DebtToEquity, PriceToEarnings].'),
  universe: nameList.describe('Securities to include in the backtest.'),
  rebalance_period: positiveInt.describe('Days between portfolio rebalances.'),
  take_profit_pct: positiveNumber.describe('Percentage gain at which to take profits.'),
  stop_loss_pct: positiveNumber.describe('Percentage loss at which to stop losses.'),
  cooldown_period: positiveInt.describe('Days to wait after a stop-loss or take-profit event.'),
} as const;

const infraSchemas = {
  batch_job_queue: z
    .string()
    .regex(BATCH_JOB_QUEUE)
    .describe('AWS Batch job queue name or ARN; default: Airflow Variable batch_job_queue.'),
  batch_job_definition: z
    .string()
    .regex(BATCH_JOB_DEFINITION)
    .describe(
      'AWS Batch job definition (name, name:revision or ARN); default: Airflow Variable batch_job_definition.',
    ),
  s3_bucket: z
    .string()
    .regex(S3_BUCKET)
    .describe('S3 bucket for results; default: Airflow Variable trading_strategies_bucket.'),
  db_conn_id: z
    .string()
    .regex(CONN_ID)
    .describe('Airflow connection id for database access (never a password in the config).'),
};

const paramsKey = z
  .string()
  .regex(PARAMS_KEY)
  .refine((key) => !KNOWN_PARAMETER_FIELDS.has(key), { params: { code: 'params-shadows-field' } })
  .refine((key) => !looksLikeSecretKey(key), { params: { code: 'secret-in-config' } });

const params = z
  .record(paramsKey, z.json())
  .describe('Free-form strategy parameters (snake_case keys, JSON values), passed in BACKTEST_PARAMS.');

const paramGridShape = Object.fromEntries(
  Object.entries(parameterSchemas).map(([key, schema]) => [
    key,
    z.array(schema).min(1).nullable().optional(),
  ]),
) as {
  [K in keyof typeof parameterSchemas]: z.ZodOptional<
    z.ZodNullable<z.ZodArray<(typeof parameterSchemas)[K]>>
  >;
};

const paramGrid = z
  .object(paramGridShape)
  .catchall(z.array(z.json()).min(1).nullable())
  .describe(
    'Parameters to sweep: each key (a strategy parameter, params.<name> or a name in params) maps to a ' +
      'non-empty list. Runs are the cartesian product, keys in written order, last key fastest. ' +
      'null (for the whole map or one key) clears what the strategy would inherit.',
  );

/** Keys a run varies or needs: allowed at the top level and in each strategy entry. */
const runShape = {
  strategy_class: z.string().regex(STRATEGY_CLASS).optional().describe('Trading strategy class (required).'),
  start_date: isoDate.optional().describe('First day of the backtest, YYYY-MM-DD (required).'),
  end_date: isoDate
    .optional()
    .describe('Last day of the backtest, YYYY-MM-DD, not before start_date (required).'),
  ...nullableOptional(parameterSchemas),
  ...nullableOptional(infraSchemas),
  params: params.nullable().optional().describe(`${params.description} null clears inherited params.`),
  param_grid: paramGrid
    .nullable()
    .optional()
    .describe(paramGrid.description ?? ''),
};

const callbacks = z.strictObject({
  before: z
    .string()
    .regex(DOTTED_PYTHON_PATH)
    .nullable()
    .optional()
    .describe('Dotted path of a Python callable run before the backtests (module.function).'),
  after: z
    .string()
    .regex(DOTTED_PYTHON_PATH)
    .nullable()
    .optional()
    .describe('Dotted path of a Python callable run after all backtests finish (module.function).'),
});

/** Keys that describe the DAG as a whole; not allowed inside a strategy entry. */
const dagShape = {
  dag_id: z
    .string()
    .max(MAX_DAG_ID_LENGTH)
    .regex(DAG_ID)
    .describe('Airflow DAG id (letters, digits, _ . -); default: the file name without extension.'),
  description: z.string().nullable().optional().describe('DAG description shown in the Airflow UI.'),
  tags: z.array(z.string().min(1).max(100)).optional().describe('Airflow tags of the DAG.'),
  schedule: z
    .string()
    .refine((value) => scheduleProblem(value) === null, { params: { code: 'invalid-schedule' } })
    .nullable()
    .optional()
    .describe(`Cron expression (5 fields) or ${SCHEDULE_PRESETS.join(', ')}; absent or null: manual only.`),
  owner: z.string().min(1).max(100).optional().describe('Airflow owner of the tasks.'),
  retries: z.int().min(0).max(10).optional().describe('Airflow retries of each backtest task (default 2).'),
  batch_attempts: z
    .int()
    .min(1)
    .max(10)
    .optional()
    .describe('AWS Batch retryStrategy attempts for Spot or host failures (default 3).'),
  callbacks: callbacks.optional().describe('Python callables run before and after the backtests.'),
  run_on_merge: z
    .boolean()
    .optional()
    .describe(
      'Trigger the DAG once after each merge that creates or changes it (default false), so its results come back on the pull request.',
    ),
  report: z
    .strictObject({
      objective: z
        .string()
        .regex(METRIC_NAME)
        .optional()
        .describe('Metric of metrics.json the runs are ranked by, highest first (default sharpe).'),
      metrics: z
        .array(z.string().regex(METRIC_NAME))
        .min(1)
        .max(20)
        .optional()
        .describe(
          'Metric columns of the results table (default sharpe, total_return, max_drawdown, trades).',
        ),
    })
    .optional()
    .describe('How the results of the runs are reported on the merged pull request.'),
};

export const strategyEntrySchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(100)
    .regex(STRATEGY_NAME)
    .describe('Unique strategy name (letters, digits, _ -).'),
  ...runShape,
});

export const configFileSchema = z
  .strictObject({
    ...dagShape,
    dag_id: dagShape.dag_id.optional(),
    ...runShape,
    strategies: z
      .array(strategyEntrySchema)
      .min(1)
      .max(HARD_MAX_STRATEGIES_PER_DAG)
      .optional()
      .describe('Strategies of a multi-strategy DAG; top-level keys are defaults each entry may override.'),
  })
  .describe('A backtest config: one Airflow DAG of AWS Batch backtest runs.');

export type ConfigFileInput = z.input<typeof configFileSchema>;
export type StrategyEntryInput = z.input<typeof strategyEntrySchema>;

const { dag_id: _dagId, ...dagDefaultsShape } = dagShape;
const { param_grid: _paramGrid, ...runDefaultsShape } = runShape;

/** Defaults in backtest-gitops.yaml: any config key but dag_id, strategies and param_grid. */
export const configDefaultsSchema = z.strictObject({ ...dagDefaultsShape, ...runDefaultsShape });

const variables = z.strictObject({
  batch_job_queue: z.string().regex(BATCH_JOB_QUEUE).optional(),
  batch_job_definition: z.string().regex(BATCH_JOB_DEFINITION).optional(),
  trading_strategies_bucket: z.string().regex(S3_BUCKET).optional(),
});

export const settingsFileSchema = z
  .strictObject({
    include: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Globs of config files, relative to the repo root (default backtests/**/*.yaml, *.yml).'),
    max_runs_per_dag: z
      .int()
      .min(1)
      .max(HARD_MAX_RUNS_PER_DAG)
      .optional()
      .describe(
        `Largest grid a DAG may expand to; at most ${HARD_MAX_RUNS_PER_DAG}, a ceiling set by what Airflow handles per DAG run.`,
      ),
    defaults: configDefaultsSchema.optional().describe('Defaults applied to every config.'),
    environments: z
      .record(
        z.string().regex(ENVIRONMENT_NAME),
        z.strictObject({ defaults: configDefaultsSchema.optional(), variables: variables.optional() }),
      )
      .optional()
      .describe('Named environments, each with defaults layered over `defaults` and its own variables.'),
    variables: variables.optional().describe('Airflow Variables the rendered DAGs read at run time.'),
  })
  .describe('Repository settings of backtest-gitops.');

export type SettingsFileInput = z.input<typeof settingsFileSchema>;

/** Keys of the run shape, in declaration order (shared by top level and strategy entries). */
export const RUN_KEYS = Object.keys(runShape);
export const DAG_KEYS = Object.keys(dagShape);
export const CONFIG_KEYS = [...DAG_KEYS, ...RUN_KEYS, 'strategies'];
export const STRATEGY_ENTRY_KEYS = ['name', ...RUN_KEYS];

/** Names a `params` key may not take: it would be ambiguous in BACKTEST_PARAMS and grids. */
const KNOWN_PARAMETER_FIELDS: ReadonlySet<string> = new Set([...CONFIG_KEYS, 'name']);

/** True for a config key name, which `params.<name>` may not use (as a params key may not). */
export function isConfigFieldName(name: string): boolean {
  return KNOWN_PARAMETER_FIELDS.has(name);
}

function nullableOptional<T extends Record<string, z.ZodType>>(
  shape: T,
): { [K in keyof T]: z.ZodOptional<z.ZodNullable<T[K]>> } {
  // The description moves to the wrapper so editors show it on hover (zod keeps it on the inner type).
  const wrap = (v: z.ZodType) => {
    const wrapped = v.nullable().optional();
    return v.description ? wrapped.describe(v.description) : wrapped;
  };
  return Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, wrap(v)])) as {
    [K in keyof T]: z.ZodOptional<z.ZodNullable<T[K]>>;
  };
}
