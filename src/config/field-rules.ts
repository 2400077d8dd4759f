import type { IssueCode } from './issue-codes.js';
import { HARD_MAX_RUNS_PER_DAG, HARD_MAX_STRATEGIES_PER_DAG } from './limits.js';
import { SCHEDULE_PRESETS } from './schedule.js';

/**
 * What each field must look like, in researcher's words, and the stable issue code used
 * when its value breaks a rule (a wrong type is always `invalid-type`).
 */
export interface FieldRule {
  expected: string;
  /** For list fields: what each item must be. */
  item?: string;
  code: IssueCode;
  hint?: string;
}

const BATCH_HINT = 'letters, digits, _ and - (up to 128), optionally a full ARN; no spaces or braces';

export const FIELD_RULES: Record<string, FieldRule> = {
  strategy_class: {
    expected: 'a Python class name such as LongShortEquityStrategy (a module path with dots is allowed)',
    code: 'invalid-strategy-class',
  },
  start_date: { expected: 'a real date written YYYY-MM-DD', code: 'invalid-date', hint: 'e.g. 2022-01-01' },
  end_date: { expected: 'a real date written YYYY-MM-DD', code: 'invalid-date', hint: 'e.g. 2022-12-31' },
  initial_capital: { expected: 'a number greater than 0', code: 'invalid-value' },
  factors: {
    expected: 'a list of factor names',
    item: 'a factor name',
    code: 'invalid-value',
    hint: 'e.g. [DebtToEquity]',
  },
  universe: {
    expected: 'a list of security identifiers',
    item: 'a security identifier',
    code: 'invalid-value',
  },
  rebalance_period: { expected: 'a whole number of days greater than 0', code: 'invalid-value' },
  cooldown_period: { expected: 'a whole number of days greater than 0', code: 'invalid-value' },
  take_profit_pct: { expected: 'a percentage greater than 0', code: 'invalid-value' },
  stop_loss_pct: { expected: 'a percentage greater than 0', code: 'invalid-value' },
  batch_job_queue: {
    expected: 'an AWS Batch job queue name or ARN',
    code: 'invalid-batch-resource',
    hint: BATCH_HINT,
  },
  batch_job_definition: {
    expected: 'an AWS Batch job definition (name, name:revision or ARN)',
    code: 'invalid-batch-resource',
    hint: BATCH_HINT,
  },
  s3_bucket: {
    expected: 'a valid S3 bucket name',
    code: 'invalid-s3-bucket',
    hint: '3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit',
  },
  db_conn_id: {
    expected: 'an Airflow connection id',
    code: 'invalid-conn-id',
    hint: 'letters, digits, _ . - only; the connection itself lives in Airflow',
  },
  dag_id: {
    expected: 'a DAG id of at most 250 characters',
    code: 'invalid-dag-id',
    hint: 'Airflow allows letters, digits, _ . and - in DAG ids',
  },
  description: { expected: 'a text', code: 'invalid-value' },
  tags: { expected: 'a list of tags', item: 'a tag of 1 to 100 characters', code: 'invalid-value' },
  schedule: {
    expected: 'a 5-field cron expression or an Airflow preset',
    code: 'invalid-schedule',
    hint: `e.g. "0 6 * * 1-5", "0 0 L * *" (last day of the month), "0 0 * * 5#3" (third Friday) or one of ${SCHEDULE_PRESETS.join(', ')}; leave it out for manual runs`,
  },
  owner: { expected: 'a name of 1 to 100 characters', code: 'invalid-value' },
  retries: { expected: 'a whole number from 0 to 10', code: 'invalid-value' },
  batch_attempts: { expected: 'a whole number from 1 to 10', code: 'invalid-value' },
  callbacks: { expected: 'a map with `before` and/or `after`', code: 'invalid-value' },
  before: {
    expected: 'a dotted Python path module.function',
    code: 'invalid-callback',
    hint: 'e.g. backtest_gitops_support.callbacks.check_batch_queue_status',
  },
  after: {
    expected: 'a dotted Python path module.function',
    code: 'invalid-callback',
    hint: 'e.g. backtest_gitops_support.callbacks.generate_backtest_report',
  },
  run_on_merge: { expected: 'true or false', code: 'invalid-value' },
  report: { expected: 'a map with `objective` and/or `metrics`', code: 'invalid-value' },
  objective: {
    expected: 'a metric name (letters, digits, _)',
    code: 'invalid-value',
    hint: 'a name your jobs write in metrics.json, e.g. sharpe',
  },
  metrics: {
    expected: 'a list of 1 to 20 metric names',
    item: 'a metric name (letters, digits, _)',
    code: 'invalid-value',
  },
  params: { expected: 'a map of snake_case names to values', code: 'invalid-value' },
  param_grid: { expected: 'a map of parameter names to lists of values', code: 'invalid-value' },
  strategies: {
    expected: `a list of 1 to ${HARD_MAX_STRATEGIES_PER_DAG} strategies, each a map with a \`name\``,
    item: 'a strategy: a map with a `name` and the keys it overrides',
    code: 'empty-strategies',
  },
  name: {
    expected: 'a strategy name of 1 to 100 letters, digits, _ and -',
    code: 'invalid-strategy-name',
  },
  include: { expected: 'a non-empty list of glob patterns', item: 'a glob pattern', code: 'invalid-value' },
  max_runs_per_dag: {
    expected: `a whole number from 1 to ${HARD_MAX_RUNS_PER_DAG}`,
    code: 'invalid-value',
    hint: `${HARD_MAX_RUNS_PER_DAG} runs per DAG is a hard ceiling: split larger sweeps over several configs`,
  },
  defaults: { expected: 'a map of config keys', code: 'invalid-value' },
  environments: { expected: 'a map of environment names to {defaults, variables}', code: 'invalid-value' },
  variables: { expected: 'a map of Airflow Variables', code: 'invalid-value' },
  trading_strategies_bucket: { expected: 'a valid S3 bucket name', code: 'invalid-s3-bucket' },
};

export const JSON_VALUE_RULE: FieldRule = {
  expected: 'a plain value (text, finite number, true/false, null, list or map)',
  code: 'invalid-type',
};
