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
 * its database through an Airflow connection (`db_conn_id`). These words are credentials
 * wherever they appear in a name (`dbpassword`, `apiKey`, `aws_secret_access_key`).
 */
const SECRET_KEY =
  /(password|passwd|passphrase|secret|credential|api_?key|private_?key|access_?key|db_config)/i;

/**
 * `token` is a credential only as a word of its own (`token`, `access_token`, `githubToken`):
 * `max_tokens`, `tokenizer` and `token_budget_per_run`... are model parameters, not secrets.
 */
const TOKEN_WORD =
  /^(access|auth|api|bearer|refresh|session|id|github|gh|gitlab|slack|oauth|hf|npm|pypi)?token$/;

export function looksLikeSecretKey(key: string): boolean {
  if (key === 'db_conn_id') return false;
  if (SECRET_KEY.test(key)) return true;
  return nameWords(key).some((word) => TOKEN_WORD.test(word));
}

/** `accessToken.v2` → [access, token, v2]: words split at separators and camelCase humps. */
function nameWords(key: string): string[] {
  return key
    .split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase());
}
