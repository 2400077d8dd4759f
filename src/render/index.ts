export { buildDagPayload, paramOrder } from './dag-payload.js';
export { jobName, jobNamePrefix } from './job-name.js';
export { type RenderOptions, renderDag } from './render-dag.js';
export { renderRepo } from './render-repo.js';
export { type EnvVar, envName, envValue, resultsS3Uri, runEnvironment } from './run-environment.js';
export { SUPPORT_FILES } from './template-files.js';
