/**
 * Shapes of the names a config may contain. They are strict on purpose: several of these
 * values end up in Airflow operator fields that Airflow renders with Jinja, so braces,
 * spaces and quotes are refused here rather than escaped later.
 */

/** Airflow's KEY_REGEX for dag ids (max length is checked separately). */
export const DAG_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Strategy names become part of task ids and result paths. */
export const STRATEGY_NAME = /^[A-Za-z0-9_-]+$/;

/** A Python class name, optionally with its module path (`strategies.momentum.Momentum`). */
export const STRATEGY_CLASS = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** An importable Python callable: at least `module.function`. */
export const DOTTED_PYTHON_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/;

/** Airflow connection ids. */
export const CONN_ID = /^[A-Za-z0-9_.-]{1,250}$/;

/** Keys of the free-form `params` map: they become BACKTEST_PARAMS keys and grid keys. */
export const PARAMS_KEY = /^[a-z][a-z0-9_]*$/;

/** Names of environments in backtest-gitops.yaml. */
export const ENVIRONMENT_NAME = /^[a-z][a-z0-9_-]*$/;

const BATCH_NAME = '[A-Za-z0-9][A-Za-z0-9_-]{0,127}';
const ARN_PREFIX = 'arn:aws[a-z-]*:batch:[a-z]{2}(-[a-z]+)+-\\d:\\d{12}:';

/** AWS Batch job queue: a name or a job-queue ARN. */
export const BATCH_JOB_QUEUE = new RegExp(`^(${BATCH_NAME}|${ARN_PREFIX}job-queue/${BATCH_NAME})$`);

/** AWS Batch job definition: `name`, `name:revision` or a job-definition ARN. */
export const BATCH_JOB_DEFINITION = new RegExp(
  `^(${BATCH_NAME}(:[1-9]\\d*)?|${ARN_PREFIX}job-definition/${BATCH_NAME}(:[1-9]\\d*)?)$`,
);

/**
 * S3 general-purpose bucket naming rules: 3-63 lowercase letters, digits, dots and hyphens,
 * starting and ending with a letter or digit, no `..`, not an IP address, none of the
 * reserved prefixes and suffixes.
 */
export const S3_BUCKET =
  /^(?!xn--|sthree-|amzn-s3-demo-)(?!.*(-s3alias|--ol-s3|--x-s3|\.mrap)$)(?!\d+\.\d+\.\d+\.\d+$)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Key names that suggest a credential. Secrets never live in configs: a strategy reaches
 * its database through an Airflow connection (`db_conn_id`).
 */
const SECRET_KEY =
  /(password|passwd|passphrase|secret|token|credential|api_?key|private_?key|access_?key|db_config)/i;

export function looksLikeSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && key !== 'db_conn_id';
}
