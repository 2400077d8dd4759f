import type { DeployReport } from '../mwaa/deploy-report.js';
import type { StepContext } from './ports.js';

/** Follow the DAG runs of deployed configs and report their results on the merged PR. */
export interface ResultsPort {
  /** Start following the DAGs a deploy created or changed. */
  track(report: DeployReport, ctx: StepContext): Promise<void>;
  /** Advance what is followed, within the request budget; called every reconcile. */
  poll(ctx: StepContext): Promise<{ followed: number; active: number }>;
}
