import { RUN_STATUS_FILE } from './run-status-file.js';

/**
 * Where run results live: the results bucket in S3, or a local folder with the same layout
 * (`backtests/<dag_id>/<dag_run_id>/<strategy>/run-NNNNN/metrics.json`). The port is named
 * for what the results need: list the keys under a prefix, read one, write one (the CSV).
 */
export interface ResultsStore {
  /** Where this store is, for messages: `s3://bucket` or a folder path. */
  readonly location: string;
  /** Keys under `prefix` ('' = everything), sorted. */
  list(prefix: string): Promise<string[]>;
  /** The object's text, or null when it does not exist. */
  read(key: string): Promise<string | null>;
  write(key: string, text: string, contentType: string): Promise<void>;
}

/** The folder of one DAG run's results under the store's root. */
export function dagRunPrefix(dagId: string, dagRunId: string): string {
  return `backtests/${dagId}/${dagRunId}/`;
}

/** `<dag run prefix><strategy>/run-00003/` */
export function runFolder(prefix: string, strategy: string, index: number): string {
  return `${prefix}${strategy}/run-${String(index).padStart(5, '0')}/`;
}

/** `<dag run prefix><strategy>/run-00003/metrics.json` */
export function metricsKey(prefix: string, strategy: string, index: number): string {
  return `${runFolder(prefix, strategy, index)}metrics.json`;
}

/** `<dag run prefix><strategy>/run-00003/run-status.json`, written by the DAG when a try fails. */
export function runStatusKey(prefix: string, strategy: string, index: number): string {
  return `${runFolder(prefix, strategy, index)}${RUN_STATUS_FILE}`;
}

/**
 * The store holding one strategy's runs: a multi-strategy DAG may send each strategy's
 * results to its own bucket (its s3_bucket).
 */
export type StoreForStrategy = (strategy: string) => ResultsStore;

/** Largest metrics.json read; a bigger file is reported as malformed, not loaded. */
export const MAX_METRICS_BYTES = 8 * 1024 * 1024;
