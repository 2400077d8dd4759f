import { loadConfigRepo } from '../config/index.js';
import type { ConfigIssue } from '../config/types.js';
import { manifestEntryFor } from '../plan/manifest.js';
import { planSync } from '../plan/plan-sync.js';
import type { DesiredFile, Manifest } from '../plan/types.js';
import { renderRepo } from '../render/index.js';
import { RenderError } from '../shared/errors.js';
import type { RepoLinks, ValidationReport } from './types.js';

/** What is deployed now: the manifest and the content of owned files we may diff against. */
export interface DeployedState {
  manifest: Manifest | null;
  /** Owned content by key, for update diffs (only keys being updated are needed). */
  contents?: ReadonlyMap<string, string>;
}

export interface CheckConfigsInput {
  /** Every YAML file at the head commit (path → content). */
  files: ReadonlyMap<string, string>;
  /**
   * Path → last commit that changed the file, as the deploy will see it (runs get
   * BACKTEST_COMMIT): without it, DAGs deployed with their commit would all show as updated.
   */
  commits?: ReadonlyMap<string, string>;
  headSha: string;
  deployed: DeployedState;
  links: RepoLinks | null;
  environment?: string;
  fromFork?: boolean;
  /** Default-branch commit the head was merged onto to get `files` (see ValidationReport). */
  mergedOnto?: string;
}

/**
 * Validate → render → plan for one commit against what is deployed, as plain data for the
 * PR comment, the statuses and `pr check`. Pure: the same inputs give the same report.
 */
export function checkConfigs(input: CheckConfigsInput): ValidationReport {
  const loaded = loadConfigRepo(input.files, {
    environment: input.environment,
    ...(input.commits ? { commits: input.commits } : {}),
  });
  const issues = sortIssues(loaded.issues);
  const base = {
    headSha: input.headSha,
    baseSha: input.deployed.manifest?.commit ?? null,
    issues,
    valid: !issues.some((i) => i.severity === 'error'),
    links: input.links,
    ...(input.fromFork ? { fromFork: true } : {}),
    ...(input.mergedOnto ? { mergedOnto: input.mergedOnto } : {}),
  };
  let desired: DesiredFile[];
  try {
    desired = renderRepo(loaded.specs);
  } catch (err) {
    // A spec that validated but does not render (a gap in validation): reported on the PR.
    // Anything else is a bug and propagates.
    if (!(err instanceof RenderError)) throw err;
    return { ...base, valid: false, plan: null, failure: err.message };
  }
  const plan = planSync({
    desired,
    manifest: input.deployed.manifest,
    invalidSources: loaded.invalidFiles,
    commit: input.headSha,
    ...(input.deployed.contents ? { previousContent: new Map(input.deployed.contents) } : {}),
  });
  const created: Record<string, string> = {};
  const byKey = new Map(desired.map((d) => [d.key, d.content]));
  for (const f of plan.files) {
    if (f.action === 'create' && f.dag_id !== null) created[f.key] = byKey.get(f.key) ?? '';
  }
  return { ...base, plan, created };
}

/**
 * What would be deployed had `files` (the base commit) been applied: the "deployed" side
 * for `pr check`, where there is no target to read. Invalid configs simply yield nothing.
 */
export function deployedFromCommit(
  files: ReadonlyMap<string, string>,
  commit: string,
  opts: { environment?: string; generator?: string; commits?: ReadonlyMap<string, string> } = {},
): DeployedState {
  const loaded = loadConfigRepo(files, {
    environment: opts.environment,
    ...(opts.commits ? { commits: opts.commits } : {}),
  });
  // A base that does not render is an error of its own (typed RenderError), not "nothing is
  // deployed": that would show every DAG of the PR as new.
  const desired = renderRepo(loaded.specs);
  const entries = desired
    .map((d) => manifestEntryFor(d, null, commit))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    manifest: { version: 1, generator: opts.generator ?? 'backtest-gitops', commit, entries },
    contents: new Map(desired.map((d) => [d.key, d.content])),
  };
}

/** Keys whose deployed content the report would diff against (fetch these, then re-check). */
export function keysToDiff(report: ValidationReport): string[] {
  return (report.plan?.files ?? []).filter((f) => f.action === 'update' && !f.diff).map((f) => f.key);
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort(
    (a, b) =>
      (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) ||
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.column - b.column,
  );
}
