import type { TargetResolver } from '../targets/open-target.js';
import { resolveMwaaTarget } from './mwaa-target.js';

/**
 * Target schemes resolved by components outside src/targets, one line each; the CLI and the
 * controller pass this table to openTarget. The MWAA component adds
 * `mwaa: resolveMwaaTarget` (it looks up the environment's bucket and DAG folder and returns
 * an S3DagStore). Kept apart from open-target.ts so targets never import those components.
 */
export const extraTargetResolvers: Record<string, TargetResolver> = { mwaa: resolveMwaaTarget };
