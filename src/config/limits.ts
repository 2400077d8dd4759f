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

/** Default cap on the runs one DAG may expand to (`max_runs_per_dag` in backtest-gitops.yaml). */
export const DEFAULT_MAX_RUNS_PER_DAG = 10_000;

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
