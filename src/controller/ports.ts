import type { DeployReport } from '../mwaa/deploy-report.js';
import type { Logger } from '../shared/logger.js';
import type { ResultsPort } from './results-port.js';

/**
 * What the reconcile loop needs from the rest of the system, named for the loop's needs.
 * The composition root (compose.ts) builds them from the real adapters (git, plan/apply,
 * MWAA, GitHub); unit tests use in-memory fakes. Every call gets a StepContext: its signal is
 * aborted when SIGTERM's grace period runs out (implementations stop at the next safe point),
 * and its logger carries the reconcile id, so adapter log lines can be tied to one reconcile.
 */

export interface StepContext {
  signal: AbortSignal;
  log: Logger;
}

/** The config repository: fetch it and say where the default branch points. */
export interface ConfigRepoPort {
  /** `git fetch`, then the SHA of the default branch head. Throws when the remote is unreachable. */
  fetchHead(ctx: StepContext): Promise<string>;
}

/** Validation of open pull requests (sticky comment + commit status on each). */
export interface PullRequestPort {
  /**
   * `unfinished`: PRs whose check could not complete this round (answered with a failing
   * status, or to be retried); the step counts as failed in the metrics when any.
   */
  validateOpenPullRequests(ctx: StepContext): Promise<{ validated: number; unfinished?: number }>;
}

export interface DeployRequest {
  commit: string;
  /** Compare owned files with the target (costs a stat per file) and act per `drift`. */
  checkDrift: boolean;
  drift: 'report' | 'repair' | 'off';
  /** Suspended: plan and report, write nothing. */
  dryRun: boolean;
}

export interface DeployResult {
  commit: string;
  /** False when nothing had to change (or dryRun). */
  applied: boolean;
  /** Operations executed (dryRun: planned), by kind. */
  operations: { create: number; update: number; delete: number; repair: number };
  /** DAGs the manifest owns after the apply. */
  dagsManaged: number;
  /** Owned files found changed or missing behind our back. */
  driftDetected: number;
  /** The per-DAG outcome, `imported: null` until the import check ran. */
  report: DeployReport;
}

/** Render the default branch at a commit, plan against the target, apply (manifest write last). */
export interface DeployPort {
  deploy(request: DeployRequest, ctx: StepContext): Promise<DeployResult>;
}

/** Ask MWAA whether the changed DAGs imported (and unpause/trigger new ones when configured). */
export interface ImportCheckPort {
  verify(report: DeployReport, ctx: StepContext): Promise<DeployReport>;
}

/** Report a deploy on GitHub (commit status on the merge commit, comment on the merged PR). */
export interface DeployReportPort {
  report(report: DeployReport, ctx: StepContext): Promise<void>;
}

/** Latest GitHub API quota seen by the client, or null before the first call. */
export interface RateLimitPort {
  remaining(): number | null;
}

export interface ControllerPorts {
  repo: ConfigRepoPort;
  deployer: DeployPort;
  pullRequests?: PullRequestPort;
  importCheck?: ImportCheckPort;
  deployReporter?: DeployReportPort;
  /** Follows the runs of what a merge deployed and reports their results (results-follower.ts). */
  results?: ResultsPort;
  /** With several replicas: only the lease holder reconciles (leader-lease.ts); absent = always act. */
  leader?: LeaderPort;
  rateLimit?: RateLimitPort;
}

/** Which replica acts; see LeaderLease. */
export interface LeaderPort {
  acquire(): Promise<{ leader: boolean; holder: string; expiresAt: number }>;
  /** On a clean stop: give the lease up if it is still ours. */
  release?(): Promise<void>;
}

/** Time, injected so tests control it. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Fires `tick` on a cron schedule. */
export interface Scheduler {
  start(tick: () => void): void;
  stop(): void;
}
