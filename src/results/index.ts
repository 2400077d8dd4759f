export { airflowMajorVersion, dagRunReader, runState } from './airflow-runs.js';
export { collectDagRun, latestDagRun, reportSettings } from './collect-dag-run.js';
export {
  METRIC_NAME,
  type MetricsFile,
  MetricsFileSchema,
  metricsJsonSchema,
  parseMetricsFile,
} from './metrics-file.js';
export { overfittingCheck } from './overfitting.js';
export {
  discoverResults,
  readMetrics,
  readRunOutcomes,
  readRunStatus,
  withRunStatus,
} from './read-results.js';
export { renderResultsCsv } from './render-csv.js';
export {
  GITHUB_COMMENT_LIMIT,
  RESULTS_MARKER,
  renderResultsComment,
  summaryLine,
} from './render-markdown.js';
export { renderResultsText } from './render-text.js';
export {
  dagRunPrefix,
  metricsKey,
  type ResultsStore,
  runStatusKey,
  type StoreForStrategy,
} from './results-store.js';
export { parseRunStatusFile, RUN_STATUS_FILE, type RunStatus } from './run-status-file.js';
export * from './statistics.js';
export { runName, summarizeResults, varyingKeys } from './summarize.js';
export { runLocations, runsWithStates, taskLogUrl } from './sweep-runs.js';
export * from './types.js';
