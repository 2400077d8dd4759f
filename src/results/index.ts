export {
  METRIC_NAME,
  type MetricsFile,
  MetricsFileSchema,
  metricsJsonSchema,
  parseMetricsFile,
} from './metrics-file.js';
export { overfittingCheck } from './overfitting.js';
export { renderResultsCsv } from './render-csv.js';
export {
  GITHUB_COMMENT_LIMIT,
  RESULTS_MARKER,
  renderResultsComment,
  summaryLine,
} from './render-markdown.js';
export { renderResultsText } from './render-text.js';
export * from './statistics.js';
export { runName, summarizeResults, varyingKeys } from './summarize.js';
export * from './types.js';
