import { MergeConflictError } from '../git/tree-reader.js';
import { baseMarker, reportedBase, reportedHead } from '../github/sticky-marker.js';
import type { CheckAnnotation, GitHubPort, PullRequestInfo } from '../github/types.js';
import type { Manifest } from '../plan/types.js';
import { checkConfigs, type DeployedState, keysToDiff } from '../report/check-configs.js';
import { escapeUserText } from '../report/escape.js';
import { capIssues } from '../report/issue-caps.js';
import { statusDescription } from '../report/status-description.js';
import type { ValidationReport } from '../report/types.js';
import { GitHubApiError } from '../shared/errors.js';
import {
  type BranchMemory,
  baseKey,
  branchJustMoved,
  branchReader,
  readBranch,
  rememberBranch,
  sameReport,
} from './pr-base.js';
import {
  countChangedFiles,
  describeError,
  MAX_CHANGED_CONFIG_FILES,
  renderPrCommentSafely,
  unfinishedReport,
} from './pr-check-limits.js';

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
    /**
     * The default branch's SHA in the local cache (no fetch). With readMergedConfigFiles, a
     * move of the default branch re-checks open PRs; absent = only a new deployment does.
     */
    defaultBranchSha?(): Promise<string>;
    /** Path → last commit that changed it at `sha` (the deploy's BACKTEST_COMMIT); absent: none. */
    lastCommits?(sha: string): Promise<Map<string, string>>;
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
  /** Aborted when the step's time budget is spent: no further PR is started. */
  signal?: AbortSignal;
  log?: { info(msg: string): void; warn(msg: string): void };
}

/**
 * Kept by the caller across polls: PR number → last reported head, the comment body on
 * GitHub, and the base that report was checked against (see pr-base.ts; absent = unknown);
 * plus the default-branch SHA the previous round saw (a plain `new Map()` starts empty).
 */
export type PullRequestMemory = Map<number, { headSha: string; body: string; base?: string }> & BranchMemory;

export interface ValidatePullRequestsResult {
  /** PRs whose head was checked and reported this round. */
  validated: number;
  /** PRs re-checked because the default branch or the deployment moved, report unchanged: nothing written. */
  unchanged: number;
  /** Comments recreated after someone deleted them. */
  recreated: number;
  /** PRs skipped because their head moved while we were checking (next poll reports it). */
  stale: number;
  failed: { pr: number; error: string }[];
  /**
   * PRs whose check could not complete (too many files, a bug in the check): answered with
   * a failing status saying why and not re-checked until their head or base moves.
   */
  unfinished: { pr: number; reason: string }[];
}

/**
 * One polling round over open PRs. A PR is checked when its head SHA has not been reported
 * yet, or was reported against another base: the default branch moved (the PR is checked as
 * if merged onto it) or the deployment did (the plan's baseline). The memory says so, or
 * (after a restart) the sticky comment's hidden head and base markers do. A re-check whose
 * report reads the same writes nothing. Idle rounds cost conditional GETs (304s, no rate
 * limit), a manifest read and a local ref lookup, and no writes. The base is read from the
 * local git cache: the caller fetches first (the reconcile's fetch step does).
 * Nothing from a PR is executed: configs are parsed as data, rendered and planned only.
 */
export async function validatePullRequests(deps: PullRequestDeps): Promise<ValidatePullRequestsResult> {
  const result: ValidatePullRequestsResult = {
    validated: 0,
    unchanged: 0,
    recreated: 0,
    stale: 0,
    failed: [],
    unfinished: [],
  };
  // Who we are, before reading any comment: only our own are trusted (asked once, then cached).
  await deps.github.botLogin();
  const pulls = (await deps.github.listOpenPulls()).filter(
    (p) => !deps.baseBranch || p.baseRef === deps.baseBranch,
  );
  const open = new Set(pulls.map((p) => p.number));
  for (const pr of deps.memory.keys()) if (!open.has(pr)) deps.memory.delete(pr); // closed: left alone
  let synced: Promise<void> | null = null;
  const sync = () => (synced ??= deps.repo.sync());
  let deployed: Promise<DeployedState> | null = null;
  const deployedState = () => (deployed ??= readDeployedState(deps));
  const defaultBranchSha = branchReader(deps.repo);
  let seenBranch: string | null = null;
  let current: Promise<{ key: string; deployPending: boolean }> | null = null;
  const currentBase = () =>
    (current ??= (async () => {
      const branch = defaultBranchSha ? await readBranch(defaultBranchSha, sync) : null;
      const { manifest } = await deployedState();
      const deployPending = branchJustMoved(deps.memory, branch, manifest);
      seenBranch = branch ?? seenBranch;
      return { key: baseKey(branch, manifest), deployPending };
    })());
  for (const pr of [...pulls].sort((a, b) => a.number - b.number)) {
    if (deps.signal?.aborted) break; // out of time: the rest wait for the next round
    try {
      const sticky = await deps.github.findStickyComment(pr.number);
      const remembered = deps.memory.get(pr.number);
      const reported = sticky && reportedHead(sticky.body) === pr.headSha ? sticky.body : null;
      if (reported !== null) {
        const { key, deployPending } = await currentBase();
        if (remembered?.headSha === pr.headSha && remembered.base === key) continue;
        if (reportedBase(reported) === key) {
          deps.memory.set(pr.number, { headSha: pr.headSha, body: reported, base: key });
          continue;
        }
        // The branch just moved and its deploy (this reconcile's next step) has not landed:
        // re-checking now would show the merged PR's files as this PR's creates, then again
        // as unchanged. Wait one round; if the deploy does not land, re-check then anyway.
        if (deployPending) continue;
      } else if (
        !sticky &&
        remembered?.headSha === pr.headSha &&
        remembered.base === (await currentBase()).key
      ) {
        // Reported before, comment deleted by someone: put the same report back.
        if (await isCurrentHead(deps.github, pr)) {
          await deps.github.upsertStickyComment(pr.number, remembered.body);
          result.recreated += 1;
        }
        continue;
      }
      await sync();
      const deployedNow = await deployedState();
      const checked = await checkPull(deps, pr, deployedNow);
      const { branch } = checked;
      if (defaultBranchSha && branch) seenBranch = branch;
      const base = baseKey(defaultBranchSha ? branch : null, deployedNow.manifest);
      const rendered = renderPrCommentSafely(checked.report);
      const report = rendered.report;
      const body = `${rendered.body}${baseMarker(base)}\n`;
      if (reported !== null && sameReport(reported, body)) {
        // The base moved but this PR's report reads the same: the comment and status stay true.
        deps.memory.set(pr.number, { headSha: pr.headSha, body: reported, base });
        result.unchanged += 1;
        continue;
      }
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
      deps.memory.set(pr.number, { headSha: pr.headSha, body, base });
      result.validated += 1;
      if ((checked.unfinished || rendered.report !== checked.report) && report.failure) {
        result.unfinished.push({ pr: pr.number, reason: report.failure });
        deps.log?.warn(`PR #${pr.number}: check could not complete: ${report.failure}`);
      }
    } catch (err) {
      // catch-all: one PR's failure is logged and counted; the other PRs are still checked.
      const error = err instanceof Error ? err.message : String(err);
      deps.log?.warn(`PR #${pr.number}: validation failed: ${error}`);
      result.failed.push({ pr: pr.number, error });
      // GitHub unavailable (5xx or no answer after the client's retries): the other PRs would
      // wait just as long, and the next deploy waits for this round. Try again next round.
      if (githubUnavailable(err)) break;
    }
  }
  if (seenBranch) rememberBranch(deps.memory, seenBranch);
  return result;
}

/** The report, and the default-branch commit the head was merged onto (null: not merged). */
async function checkPull(
  deps: PullRequestDeps,
  pr: PullRequestInfo,
  deployed: DeployedState,
): Promise<{ report: ValidationReport; branch: string | null; unfinished?: boolean }> {
  let merged: { files: Map<string, string>; base: string } | null = null;
  try {
    merged = deps.repo.readMergedConfigFiles ? await deps.repo.readMergedConfigFiles(pr.headSha) : null;
  } catch (err) {
    if (!(err instanceof MergeConflictError)) throw err;
    return { report: conflictReport(err, pr, deps, deployed), branch: err.base };
  }
  const files = merged?.files ?? (await deps.repo.readConfigFiles(pr.headSha));
  const baseFiles = merged ? await deps.repo.readConfigFiles(merged.base) : null;
  const commits = deps.repo.lastCommits
    ? await previewCommits(deps.repo.lastCommits.bind(deps.repo), pr.headSha, files, merged, baseFiles)
    : undefined;
  const input = {
    files,
    ...(commits ? { commits } : {}),
    ...(merged ? { mergedOnto: merged.base } : {}),
    headSha: pr.headSha,
    deployed,
    links: deps.github.repoRef,
    fromFork: pr.fromFork,
    ...(deps.environment ? { environment: deps.environment } : {}),
  };
  const branch = merged?.base ?? null;
  const unfinished = (reason: string) => ({
    report: unfinishedReport(
      pr,
      deps.github.repoRef,
      deployed.manifest?.commit ?? null,
      reason,
      merged?.base,
    ),
    branch,
    unfinished: true,
  });
  if (merged) {
    const changed = countChangedFiles(files, baseFiles ?? new Map());
    if (changed > MAX_CHANGED_CONFIG_FILES)
      return unfinished(
        `this pull request changes ${changed} config files; at most ${MAX_CHANGED_CONFIG_FILES} are checked per pull request: split it, or run \`backtestctl validate\` on the branch`,
      );
  }
  // The check is pure computation on the PR's files: whatever it throws, the PR is answered.
  type Checked = { report: ValidationReport; branch: string | null; unfinished?: boolean };
  const check = (withDeployed: DeployedState): Checked => {
    try {
      return { report: checkConfigs({ ...input, deployed: withDeployed }), branch };
    } catch (err) {
      // catch-all: the PR gets an "unfinished" answer naming the error, never silence.
      return unfinished(`the check stopped with an internal error (${describeError(err)})`);
    }
  };
  const first = check(deployed);
  const missing = first.unfinished ? [] : keysToDiff(first.report);
  if (missing.length === 0 || !deps.readDeployedFile) return first;
  // Diffs need the deployed content of updated files: read just those, then plan again.
  const contents = new Map(deployed.contents ?? []);
  for (const key of missing) {
    const content = await deps.readDeployedFile(key);
    if (content !== null) contents.set(key, content);
  }
  return check({ ...deployed, contents });
}

/**
 * The commits the deploy of the merged PR will give each config (BACKTEST_COMMIT): a file
 * the merge leaves as on the default branch keeps the branch's commit, so its DAG's bytes
 * plan no update; a file the PR changes gets the PR head's (the merge may give another SHA,
 * but that DAG is updated either way).
 */
async function previewCommits(
  lastCommits: (sha: string) => Promise<Map<string, string>>,
  headSha: string,
  files: ReadonlyMap<string, string>,
  merged: { base: string } | null,
  baseFiles: ReadonlyMap<string, string> | null,
): Promise<Map<string, string>> {
  const head = await lastCommits(headSha);
  if (!merged || !baseFiles) return head;
  const base = await lastCommits(merged.base);
  const commits = new Map<string, string>();
  for (const [path, text] of files) {
    const commit = baseFiles.get(path) === text ? base.get(path) : head.get(path);
    if (commit !== undefined) commits.set(path, commit);
  }
  return commits;
}

/** A PR that does not merge cleanly: what it would deploy is unknown until it is rebased. */
function conflictReport(
  err: MergeConflictError,
  pr: PullRequestInfo,
  deps: PullRequestDeps,
  deployed: DeployedState,
): ValidationReport {
  const onto = `${deps.baseBranch ?? 'the default branch'} (${err.base.slice(0, 7)})`;
  return {
    headSha: pr.headSha,
    baseSha: deployed.manifest?.commit ?? null,
    valid: false,
    issues: err.paths.map((file) => ({
      file,
      line: 1,
      column: 1,
      code: 'merge-conflict',
      message: `merge conflict in ${file}: rebase onto ${onto}`,
      hint: 'rebase the branch (or merge the default branch into it) and resolve the conflict; the check runs again on the new head',
      severity: 'error' as const,
    })),
    plan: null,
    failure: `this pull request does not merge cleanly into ${onto}: merge conflict in ${err.paths.join(', ')}; rebase it`,
    links: deps.github.repoRef,
    mergedOnto: err.base,
    ...(pr.fromFork ? { fromFork: true } : {}),
  };
}

async function readDeployedState(deps: PullRequestDeps): Promise<DeployedState> {
  return { manifest: await deps.readManifest(), contents: new Map() };
}

function githubUnavailable(err: unknown): boolean {
  return err instanceof GitHubApiError && (err.status === undefined || err.status >= 500);
}

/** Re-reads the PR (a conditional GET) so a result is never written over a newer head. */
async function isCurrentHead(github: GitHubPort, pr: PullRequestInfo): Promise<boolean> {
  const now = await github.getPull(pr.number);
  return now.state === 'open' && now.headSha === pr.headSha;
}

function annotationsOf(report: ValidationReport): CheckAnnotation[] {
  return capIssues(report.issues).shown.map((i) => ({
    path: i.file,
    start_line: i.line,
    end_line: i.line,
    ...(i.line > 0 ? { start_column: i.column, end_column: i.column } : {}),
    annotation_level: i.severity === 'error' ? 'failure' : 'warning',
    message: escapeUserText(i.hint ? `${i.message} — ${i.hint}` : i.message, 'plain'),
    title: i.code,
  }));
}
