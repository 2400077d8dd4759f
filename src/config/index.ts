/** The config language: YAML config repo → validated BacktestSpecs, runs and JSON Schema. */
export { countGridRuns, expandRuns, iterateRuns } from './expand-runs.js';
export { ISSUE_CODES, type IssueCode } from './issue-codes.js';
export { configJsonSchema, settingsJsonSchema } from './json-schema.js';
export {
  DEFAULT_INCLUDE,
  DEFAULT_MAX_RUNS_PER_DAG,
  MAX_CONFIG_FILE_BYTES,
  SETTINGS_FILE,
} from './limits.js';
export { type LoadConfigRepoOptions, loadConfigRepo } from './load-config-repo.js';
export { effectiveVariables } from './settings.js';
export * from './types.js';
export { decodeConfigBytes } from './yaml-source.js';
