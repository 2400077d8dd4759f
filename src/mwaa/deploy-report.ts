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
  /** True when every changed DAG was applied and (if checked) imported without error. */
  ok: boolean;
  /** One line for a commit status description (<= 140 chars). */
  summary: string;
}
