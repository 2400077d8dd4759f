/**
 * Every code a config issue can carry, with what it means. Codes are stable: tools (the PR
 * comment, editors, scripts on `validate --format json`) may match on them. Adding a code
 * means adding it here; `configError` accepts no other.
 */
export const ISSUE_CODES = {
  // YAML and files
  'file-too-large': 'The file is larger than 256 KiB.',
  'invalid-encoding': 'The file is not UTF-8 text (or holds NUL bytes).',
  'yaml-syntax': 'The YAML cannot be parsed (indentation, unclosed quote or bracket, several documents).',
  'duplicate-key': 'A key appears twice in the same mapping.',
  'yaml-custom-tag': 'An explicit YAML tag (`!!python/object`, `!!binary`, `!Ref`): configs are plain data.',
  'yaml-alias-limit': 'Aliases expand to too much data (a "billion laughs" document).',
  'yaml-alias-cycle': 'An alias refers to a value that contains it.',
  'yaml-unknown-alias': 'An alias refers to an anchor that is not defined before it.',
  'yaml-too-deep': 'Maps and lists are nested more than 32 levels deep.',
  'invalid-key': 'A map key is a list or a map instead of a name.',
  'empty-file': 'The file holds no YAML value.',
  'not-a-mapping': 'The file is a list or a single value, not a map of keys.',
  'skipped-file':
    'A warning: a file the include globs would match but for its extension (`.YAML`, `.Yml`, `.json`) is not read.',
  'unsafe-integer': 'An integer beyond 2^53 that a config cannot keep exactly; quote it to pass it as text.',
  'unstorable-text':
    "Text with a NUL character or a lone surrogate, which Airflow's metadata database (PostgreSQL) cannot store.",
  // Keys
  'unknown-key': 'A key the config language does not know; the hint suggests the closest known key.',
  'missing-key': 'A required key (strategy_class, start_date, end_date, a strategy `name`) is missing.',
  'dag-key-in-strategy': 'A DAG-level key (dag_id, schedule, tags, ...) inside a strategy entry.',
  'secret-in-config': 'A key that looks like a credential; use an Airflow connection (`db_conn_id`).',
  'invalid-params-key': 'A `params` key that is not snake_case.',
  'params-shadows-field': 'A `params` key with the name of a config key.',
  // Values
  'invalid-type':
    'A value of the wrong type (text where a number is expected, a single value for a list, ...).',
  'invalid-value': 'A value of the right type outside its allowed range.',
  'invalid-date': 'A date that is not a real calendar date written YYYY-MM-DD.',
  'end-before-start': '`end_date` is before `start_date`.',
  'invalid-strategy-class': '`strategy_class` is not a Python class name.',
  'invalid-dag-id': 'A dag_id (or, without one, the file name) that Airflow does not allow.',
  'invalid-schedule': 'A schedule that is neither a 5-field cron expression nor an Airflow preset.',
  'schedule-never-fires':
    'A cron schedule that matches no day (such as `0 0 31 2 *`), so the DAG would never run.',
  'invalid-callback': 'A callback that is not a dotted Python path `module.function`.',
  'invalid-batch-resource': 'An AWS Batch job queue or job definition that is not a valid name or ARN.',
  'invalid-s3-bucket': 'A bucket name that breaks the S3 naming rules.',
  'invalid-conn-id': 'An Airflow connection id with characters Airflow does not allow.',
  'invalid-strategy-name': 'A strategy name with characters other than letters, digits, _ and -.',
  'reserved-name':
    'A strategy name (before, after, backtest) or dag_id (backtest_gitops_support) that the rendered DAG folder uses itself.',
  'duplicate-strategy-name': 'Two strategies of one DAG share a name.',
  'empty-strategies': '`strategies:` is an empty list.',
  'too-many-strategies':
    'More than 100 strategies in one DAG, a hard ceiling (each adds tasks every scheduler parse pays for).',
  // Grids
  'empty-grid': 'A param_grid list is empty, so the DAG would have no runs.',
  'grid-not-a-list': 'A param_grid value is not a list.',
  'grid-unknown-key': 'A param_grid key that is not a parameter of the strategy.',
  'duplicate-grid-key': 'A parameter swept twice (`x` and `params.x`).',
  'grid-too-large': 'The DAG expands to more runs than `max_runs_per_dag` (at most 10,000, a hard ceiling).',
  // Repository
  'dag-id-collision':
    'Two config files claim the same dag_id (also when they differ only in case, or in `.` and `_`, which give the same AWS Batch job names).',
  'unknown-environment': 'The requested environment is not defined in backtest-gitops.yaml.',
  'invalid-environment-name': 'An environment name that is not lowercase letters, digits, _ and -.',
} as const;

export type IssueCode = keyof typeof ISSUE_CODES;

export function isIssueCode(code: string): code is IssueCode {
  return Object.hasOwn(ISSUE_CODES, code);
}
