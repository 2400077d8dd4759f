/**
 * The typed result of reading a config repository. These types are the contract between
 * config (which produces them), render and plan (which consume them). All are plain
 * JSON-serialisable data so the pure core stays free of classes and I/O.
 */

/** A place in a config file; `line` and `column` are 1-based. */
export interface SourceLocation {
  /** Path relative to the config repository root, with forward slashes. */
  file: string;
  line: number;
  column: number;
}

/** One problem found in a config file. `code` is stable and documented. */
export interface ConfigIssue extends SourceLocation {
  code: string;
  message: string;
  hint?: string;
  severity: 'error' | 'warning';
}

/** A JSON value, as YAML 1.2 core schema can produce it (no dates, no binary). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * The strategy parameters the seed framework names. Together with the free-form
 * `params` they are what a run varies and what `param_grid` may sweep.
 */
export const STRATEGY_PARAMETER_KEYS = [
  'initial_capital',
  'factors',
  'universe',
  'rebalance_period',
  'take_profit_pct',
  'stop_loss_pct',
  'cooldown_period',
] as const;
export type StrategyParameterKey = (typeof STRATEGY_PARAMETER_KEYS)[number];

/** AWS infrastructure a strategy's runs use; absent values resolve at run time from Airflow Variables. */
export interface BatchInfra {
  /** AWS Batch job queue; else `{{ var.value.batch_job_queue }}`. */
  job_queue: string | null;
  /** AWS Batch job definition; else `{{ var.value.batch_job_definition }}`. */
  job_definition: string | null;
  /** Results bucket; else `{{ var.value.trading_strategies_bucket }}`. */
  results_bucket: string | null;
  /** Airflow connection id for database access; passed as DB_CONN_ID. Never a password. */
  db_conn_id: string | null;
}

/**
 * One strategy of a DAG after defaults are merged (repo defaults < environment defaults <
 * file top level < strategy entry). A single-strategy file yields one StrategySpec named
 * after the DAG.
 */
export interface StrategySpec {
  /** Unique within the DAG, `[A-Za-z0-9_-]+`; used in task ids and result paths. */
  name: string;
  strategy_class: string;
  /** ISO dates `YYYY-MM-DD`. */
  start_date: string;
  end_date: string;
  /**
   * Effective direct parameter values: every key of STRATEGY_PARAMETER_KEYS that is set
   * (initial_capital always is) plus the keys of the file's free-form `params`, flattened
   * into one object. Keys are snake_case and never collide (validation forbids it).
   * Insertion order: STRATEGY_PARAMETER_KEYS order, then `params` in written order.
   */
  parameters: Record<string, JsonValue>;
  /**
   * The grid, keys in written order, each a non-empty list; keys are parameter names as
   * in `parameters` (a `params.x` grid key is normalised to `x`). Empty object = one run.
   */
  param_grid: Record<string, JsonValue[]>;
  infra: BatchInfra;
  /** Product of the grid's list lengths (1 without a grid). */
  runs: number;
  /**
   * JSON text of the values whose parsed form would print differently from how they were
   * written (see written-json.ts): `5.0` stays `5.0`, not `5`. Parameters by key, grid values
   * by key and position. Absent when every value prints as written.
   */
  written_json?: {
    parameters?: Record<string, string>;
    param_grid?: Record<string, Record<number, string>>;
  };
}

export interface BacktestSpec {
  /** Config file path relative to the repo root, forward slashes. */
  source: string;
  /** sha256 (hex) of the config file's bytes; goes into the rendered header. */
  source_sha256: string;
  /**
   * SHA of the last commit that changed the config file itself (not the settings file),
   * when the caller knows it (`loadConfigRepo(..., { commits })`); absent for a file read
   * from a folder outside git, or uncommitted or modified there. Runs get it as BACKTEST_COMMIT.
   */
  source_commit?: string;
  dag_id: string;
  description: string | null;
  tags: string[];
  /** Cron expression or Airflow preset (`@daily`); null = manual only. */
  schedule: string | null;
  owner: string;
  /** Airflow task retries for the Batch tasks. */
  retries: number;
  /** Attempts AWS Batch makes on Spot/host termination (its retryStrategy). */
  batch_attempts: number;
  callbacks: { before: string | null; after: string | null };
  /** Trigger the DAG once after each merge that creates or changes it (absent: false). */
  run_on_merge?: boolean;
  /** `report:` of the config: what ranks the results and which metrics are shown (absent: the defaults). */
  report?: { objective?: string; metrics?: string[] };
  /** Strategies in written order (a single-strategy config has exactly one). */
  strategies: StrategySpec[];
  /** True when the file used `strategies:` (affects task naming only). */
  multi_strategy: boolean;
  /** Total runs over all strategies. */
  runs: number;
}

/** One concrete backtest run, as `backtestctl expand` prints it and the DAG executes it. */
export interface BacktestRun {
  /** 0-based, global across the DAG's strategies in order. */
  index: number;
  strategy: string;
  /** Every effective parameter: strategy_class, start_date, end_date, and `parameters` with grid values applied. */
  params: Record<string, JsonValue>;
}

/** Repository-level settings from `backtest-gitops.yaml`. */
export interface RepoSettings {
  /** Glob patterns (relative to repo root) for config files. */
  include: string[];
  /** Maximum runs per DAG before a grid is rejected. */
  max_runs_per_dag: number;
  /** Defaults applied to every config (any config key but dag_id/strategies/param_grid). */
  defaults: Record<string, JsonValue>;
  /** Named environments, each with defaults layered over `defaults`. */
  environments: Record<string, { defaults: Record<string, JsonValue>; variables: Record<string, string> }>;
  /** Airflow Variables the rendered DAGs read (batch_job_queue, ...), for `mwaa variables sync`. */
  variables: Record<string, string>;
  /** The environment whose defaults were applied (`loadConfigRepo(..., { environment })`), if any. */
  environment?: string;
}

/** Everything `loadConfigRepo` returns: valid specs and every issue of every file. */
export interface ConfigRepoResult {
  settings: RepoSettings;
  specs: BacktestSpec[];
  /** Files that failed validation (relative paths); they yield no spec. */
  invalidFiles: string[];
  issues: ConfigIssue[];
}
