import type { GitHubPort } from '../github/types.js';
import type { DeployReport } from '../mwaa/deploy-report.js';
import { renderDeployComment } from '../report/deploy-comment.js';
import { deployStatusDescription } from '../report/status-description.js';

export const DEPLOY_CONTEXT = 'backtest-gitops/deploy';

export interface DeployReportDeps {
  github: GitHubPort;
  targetUrl?: string;
  log?: { info(msg: string): void; warn(msg: string): void };
}

export interface DeployReportResult {
  statusSet: boolean;
  /** PR the report was posted on, or null (direct push, or already reported). */
  commentedOn: number | null;
}

/**
 * After a deploy of `sha`: `backtest-gitops/deploy` on the commit, and one short report on
 * the merged PR that produced it (found through the commit's associated pulls). Idempotent:
 * the status is skipped when already set, the comment when one for this SHA exists.
 */
export async function reportDeploy(
  deps: DeployReportDeps,
  sha: string,
  report: DeployReport,
): Promise<DeployReportResult> {
  const state = report.ok ? 'success' : 'failure';
  const statusSet = await deps.github.setStatus(
    sha,
    DEPLOY_CONTEXT,
    state,
    deployStatusDescription(report),
    deps.targetUrl,
  );
  const pulls = await deps.github.pullsForCommit(sha);
  const merged = pulls.filter((p) => p.merged).sort((a, b) => a.number - b.number)[0];
  if (!merged) {
    deps.log?.info(`deploy of ${sha.slice(0, 7)}: no merged pull request found; status only`);
    return { statusSet, commentedOn: null };
  }
  const marker = `<!-- backtest-gitops:deploy=${sha} -->`;
  if (await deps.github.findCommentContaining(merged.number, marker)) return { statusSet, commentedOn: null };
  await deps.github.commentOnPull(merged.number, renderDeployComment(report));
  return { statusSet, commentedOn: merged.number };
}
