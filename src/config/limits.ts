/**
 * Fixed limits and defaults of the config language. They bound the work one config file
 * can cause (parsing, alias expansion, grid expansion) so validation stays fast and safe on
 * every pull request.
 */

/** Config and settings files larger than this are refused before parsing. */
export const MAX_CONFIG_FILE_BYTES = 256 * 1024;

/** Deepest nesting of maps and lists a file may use (guards recursive walkers). */
export const MAX_NESTING_DEPTH = 32;

/** Alias uses per document; stops "billion laughs" documents. */
export const MAX_ALIAS_COUNT = 100;

/** Values (scalars, lists, maps) all alias uses of a document may add up to. */
export const MAX_ALIAS_EXPANDED_NODES = 10_000;

/**
 * Hard ceilings that no setting lifts, from what Airflow 2.11 and 3.0 handle (bench/max-runs.ts).
 * Runs: a DAG run's `runs` task stores every run's arguments in one XCom that each mapped
 * Batch task reads; at 10,000 runs that is 8 MB made in about a second, at 100,000 runs 81 MB
 * and 8 s. Strategies: each adds tasks; parsing and serializing 100 strategies takes about
 * 0.3 s, 1,000 about 5 s, on every scheduler parse.
 */
export const HARD_MAX_RUNS_PER_DAG = 10_000;
export const HARD_MAX_STRATEGIES_PER_DAG = 100;

/** Default cap on the runs one DAG may expand to (`max_runs_per_dag` in backtest-gitops.yaml, at most HARD_MAX_RUNS_PER_DAG). */
export const DEFAULT_MAX_RUNS_PER_DAG = HARD_MAX_RUNS_PER_DAG;

/** Config files of a repo unless `include` in backtest-gitops.yaml says otherwise. */
export const DEFAULT_INCLUDE = ['backtests/**/*.yaml', 'backtests/**/*.yml'] as const;

/** The optional repo-level settings file, at the repository root. */
export const SETTINGS_FILE = 'backtest-gitops.yaml';

export const DEFAULT_INITIAL_CAPITAL = 1_000_000;
export const DEFAULT_OWNER = 'backtest-gitops';
export const DEFAULT_RETRIES = 2;
export const DEFAULT_BATCH_ATTEMPTS = 3;

/** Airflow's limit on dag_id length (ID_LEN in airflow.models.base). */
export const MAX_DAG_ID_LENGTH = 250;
