import type { TargetResolver } from '../targets/open-target.js';
import { resolveMwaaTarget } from './mwaa-target.js';

/**
 * Target schemes resolved outside src/targets, one line each; the CLI and the controller pass
 * this table to openTarget. `mwaa://ENV` looks up the environment's bucket and DAG folder and
 * returns an S3 store there. It lives here, not in targets, so the dependency runs one way:
 * mwaa uses targets, targets never imports mwaa.
 */
export const extraTargetResolvers: Record<string, TargetResolver> = { mwaa: resolveMwaaTarget };
