/**
 * The outcome of one deploy, per DAG: written by apply + the MWAA import check, read by
 * the CLI output and the GitHub deploy reporter. Plain data.
 */
export interface DagDeployStatus {
  dag_id: string;
  /** Config file the DAG came from. */
  source: string | null;
  action: 'create' | 'update' | 'delete' | 'repair';
  /** true = Airflow lists it with no import error; false = import error or never appeared; null = not checked. */
  imported: boolean | null;
  /** Airflow's import error text, if any (trimmed). */
  import_error: string | null;
  unpaused: boolean | null;
  triggered: boolean | null;
  /** What the import check saw beyond the fields above ("not listed after 300 s", "removed from Airflow"). */
  note?: string;
}

/** How the post-deploy import check ended; absent when no check ran. */
export interface ImportCheckSummary {
  /** confirmed: all imported; failed: import errors; timeout: some never appeared; deferred: environment not AVAILABLE. */
  state: 'confirmed' | 'failed' | 'timeout' | 'deferred';
  message: string;
  elapsed_ms: number;
}

export interface NotLive {
  file: string;
  line: number;
  column: number;
  message: string;
  /** What runs instead: `DAG x from commit abc1234 (last good)`, or `nothing (never deployed)`. */
  live: string;
}

export interface DeployReport {
  /** Config repo commit that was applied. */
  commit: string;
  /** Target location (`s3://bucket/dags`, `mwaa://env`, `./out/dags`). */
  target: string;
  environment: string | null;
  airflow_version: string | null;
  dags: DagDeployStatus[];
  /** Configs that failed validation and kept their last good DAG. */
  kept_invalid: string[];
  /**
   * Why the target differs from what the commit asks for, one per invalid config: its first
   * error with file:line:column and what is live instead (the kept DAG and its commit, or nothing).
   */
  not_live?: NotLive[];
  /** True when every changed DAG was applied and (if checked) imported without error. */
  ok: boolean;
  /** One line for a commit status description (<= 140 chars). */
  summary: string;
  /** Outcome of the MWAA import check, when one ran. */
  import_check?: ImportCheckSummary;
}
