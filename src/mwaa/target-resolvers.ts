import { resolveMwaaTarget } from '../mwaa/mwaa-target.js';
import type { TargetResolver } from './open-target.js';

/**
 * Target schemes resolved by components outside src/targets, one line each; the CLI and the
 * controller pass this table to openTarget. The MWAA component adds
 * `mwaa: resolveMwaaTarget` (it looks up the environment's bucket and DAG folder and returns
 * an S3DagStore). Kept apart from open-target.ts so targets never import those components.
 */
export const extraTargetResolvers: Record<string, TargetResolver> = { mwaa: resolveMwaaTarget };
