export {
  type CheckConfigsInput,
  checkConfigs,
  type DeployedState,
  deployedFromCommit,
  keysToDiff,
} from './check-configs.js';
export { renderDeployComment } from './deploy-comment.js';
export { blobLink } from './markdown.js';
export { GITHUB_COMMENT_LIMIT, renderPrComment } from './pr-comment.js';
export {
  deployStatusDescription,
  STATUS_DESCRIPTION_MAX,
  statusDescription,
  totalRuns,
} from './status-description.js';
export { renderTextReport, reportJson } from './text-report.js';
export type { RepoLinks, ValidationReport } from './types.js';
