import { reportedHead } from '../github/sticky-marker.js';
import type { CheckAnnotation, GitHubPort, PullRequestInfo } from '../github/types.js';
import type { Manifest } from '../plan/types.js';
import { checkConfigs, type DeployedState, keysToDiff } from '../report/check-configs.js';
import { renderPrComment } from '../report/pr-comment.js';
import { statusDescription } from '../report/status-description.js';
import type { ValidationReport } from '../report/types.js';

export const VALIDATE_CONTEXT = 'backtest-gitops/validate';

/** What PR validation needs, injected (real adapters in the controller, fakes in unit tests). */
export interface PullRequestDeps {
  github: GitHubPort;
  /** The config repository: fetch PR heads, read YAML files at a SHA. */
  repo: {
    sync(): Promise<void>;
    readConfigFiles(sha: string): Promise<Map<string, string>>;
    /**
     * The files as merging `sha` into the default branch would leave them (GitRepoCache has
     * it); used when present, so a branch that is behind plans only its own changes.
     */
    readMergedConfigFiles?(sha: string): Promise<{ files: Map<string, string>; base: string }>;
  };
  /** The manifest deployed now (the plan's baseline). */
  readManifest(): Promise<Manifest | null>;
  /** Deployed content of an owned file, for update diffs; omit to show no diffs for updates. */
  readDeployedFile?(key: string): Promise<string | null>;
  /** Kept by the caller across polls: PR number → last reported head and body. */
  memory: PullRequestMemory;
  environment?: string;
  /**
   * Only PRs into this branch are validated (the deployed branch); PRs between feature
   * branches are not plans for what is deployed. Absent = every open PR.
   */
  baseBranch?: string;
  /** Link for the commit status (e.g. the controller's UI); optional. */
  targetUrl?: string;
  log?: { info(msg: string): void; warn(msg: string): void };
}

export type PullRequestMemory = Map<number, { headSha: string; body: string }>;

export interface ValidatePullRequestsResult {
  /** PRs whose head was checked and reported this round. */
  validated: number;
  /** Comments recreated after someone deleted them. */
  recreated: number;
  /** PRs skipped because their head moved while we were checking (next poll reports it). */
  stale: number;
  failed: { pr: number; error: string }[];
}

/**
 * One polling round over open PRs. A PR is checked only when its head SHA has not been
 * reported yet: the memory says so, or (after a restart) the sticky comment's hidden head
 * marker does. Idle rounds cost conditional GETs (304s, no rate limit) and no writes.
 * Nothing from a PR is executed: configs are parsed as data, rendered and planned only.
 */
export async function validatePullRequests(deps: PullRequestDeps): Promise<ValidatePullRequestsResult> {
  const result: ValidatePullRequestsResult = { validated: 0, recreated: 0, stale: 0, failed: [] };
  const pulls = (await deps.github.listOpenPulls()).filter(
    (p) => !deps.baseBranch || p.baseRef === deps.baseBranch,
  );
  const open = new Set(pulls.map((p) => p.number));
  for (const pr of deps.memory.keys()) if (!open.has(pr)) deps.memory.delete(pr); // closed: left alone
  let synced = false;
  let deployed: Promise<DeployedState> | null = null;
  for (const pr of [...pulls].sort((a, b) => a.number - b.number)) {
    try {
      const sticky = await deps.github.findStickyComment(pr.number);
      const remembered = deps.memory.get(pr.number);
      if (sticky && reportedHead(sticky.body) === pr.headSha) {
        if (!remembered || remembered.headSha !== pr.headSha)
          deps.memory.set(pr.number, { headSha: pr.headSha, body: sticky.body });
        continue;
      }
      if (!sticky && remembered?.headSha === pr.headSha) {
        // Reported before, comment deleted by someone: put the same report back.
        if (await isCurrentHead(deps.github, pr)) {
          await deps.github.upsertStickyComment(pr.number, remembered.body);
          result.recreated += 1;
        }
        continue;
      }
      if (!synced) {
        await deps.repo.sync();
        synced = true;
      }
      deployed ??= readDeployedState(deps);
      const report = await checkPull(deps, pr, await deployed);
      const body = renderPrComment(report);
      if (!(await isCurrentHead(deps.github, pr))) {
        result.stale += 1;
        deps.log?.info(
          `PR #${pr.number}: head moved past ${pr.headSha.slice(0, 7)} while checking; skipping`,
        );
        continue;
      }
      // Status first: the comment's head marker is what marks this head as reported, so a
      // crash between the two writes re-reports (the status write is then skipped as a repeat).
      const state = report.valid ? 'success' : 'failure';
      await deps.github.setStatus(
        pr.headSha,
        VALIDATE_CONTEXT,
        state,
        statusDescription(report),
        deps.targetUrl,
      );
      await deps.github.upsertStickyComment(pr.number, body);
      if (deps.github.canCreateCheckRuns) {
        await deps.github.createCheckRun({
          name: VALIDATE_CONTEXT,
          headSha: pr.headSha,
          conclusion: report.valid ? 'success' : 'failure',
          title: statusDescription(report),
          summary: body,
          annotations: annotationsOf(report),
          ...(deps.targetUrl ? { detailsUrl: deps.targetUrl } : {}),
        });
      }
      deps.memory.set(pr.number, { headSha: pr.headSha, body });
      result.validated += 1;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      deps.log?.warn(`PR #${pr.number}: validation failed: ${error}`);
      result.failed.push({ pr: pr.number, error });
    }
  }
  return result;
}

async function checkPull(
  deps: PullRequestDeps,
  pr: PullRequestInfo,
  deployed: DeployedState,
): Promise<ValidationReport> {
  const merged = deps.repo.readMergedConfigFiles ? await deps.repo.readMergedConfigFiles(pr.headSha) : null;
  const files = merged?.files ?? (await deps.repo.readConfigFiles(pr.headSha));
  const input = {
    files,
    ...(merged ? { mergedOnto: merged.base } : {}),
    headSha: pr.headSha,
    deployed,
    links: deps.github.repoRef,
    fromFork: pr.fromFork,
    ...(deps.environment ? { environment: deps.environment } : {}),
  };
  const first = checkConfigs(input);
  const missing = keysToDiff(first);
  if (missing.length === 0 || !deps.readDeployedFile) return first;
  // Diffs need the deployed content of updated files: read just those, then plan again.
  const contents = new Map(deployed.contents ?? []);
  for (const key of missing) {
    const content = await deps.readDeployedFile(key);
    if (content !== null) contents.set(key, content);
  }
  return checkConfigs({ ...input, deployed: { ...deployed, contents } });
}

async function readDeployedState(deps: PullRequestDeps): Promise<DeployedState> {
  return { manifest: await deps.readManifest(), contents: new Map() };
}

/** Re-reads the PR (a conditional GET) so a result is never written over a newer head. */
async function isCurrentHead(github: GitHubPort, pr: PullRequestInfo): Promise<boolean> {
  const now = await github.getPull(pr.number);
  return now.state === 'open' && now.headSha === pr.headSha;
}

function annotationsOf(report: ValidationReport): CheckAnnotation[] {
  return report.issues.map((i) => ({
    path: i.file,
    start_line: i.line,
    end_line: i.line,
    ...(i.line > 0 ? { start_column: i.column, end_column: i.column } : {}),
    annotation_level: i.severity === 'error' ? 'failure' : 'warning',
    message: i.hint ? `${i.message}\n${i.hint}` : i.message,
    title: i.code,
  }));
}
