import type { PullRequestInfo, RepoRef } from '../github/types.js';
import { renderPrComment } from '../report/pr-comment.js';
import type { ValidationReport } from '../report/types.js';

/**
 * A pull request changing more config files than this is not checked file by file: it gets
 * a failing status at once saying so (split it, or run `backtestctl validate` locally).
 * Bounds the work any one PR can cause, whatever it contains.
 */
export const MAX_CHANGED_CONFIG_FILES = 1000;

/** Config files added, changed or deleted between `base` and `head` (path → content maps). */
export function countChangedFiles(
  head: ReadonlyMap<string, string>,
  base: ReadonlyMap<string, string>,
): number {
  let changed = 0;
  for (const [path, content] of head) if (base.get(path) !== content) changed += 1;
  for (const path of base.keys()) if (!head.has(path)) changed += 1;
  return changed;
}

/** The report of a check that could not complete: failing, saying why, nothing planned. */
export function unfinishedReport(
  pr: PullRequestInfo,
  links: RepoRef,
  baseSha: string | null,
  reason: string,
  mergedOnto?: string,
): ValidationReport {
  return {
    headSha: pr.headSha,
    baseSha,
    valid: false,
    issues: [],
    plan: null,
    failure: reason,
    links,
    ...(mergedOnto ? { mergedOnto } : {}),
    ...(pr.fromFork ? { fromFork: true } : {}),
  };
}

/**
 * The comment for a report, always: should rendering it ever fail, the verdict and the
 * reason are rendered alone, so the PR is still answered.
 */
export function renderPrCommentSafely(report: ValidationReport): { body: string; report: ValidationReport } {
  try {
    return { body: renderPrComment(report), report };
  } catch (err) {
    // catch-all: the PR is answered whatever failed; the reason is in the fallback comment.
    const fallback: ValidationReport = {
      ...report,
      valid: false,
      issues: [],
      plan: null,
      created: {},
      failure: `the report could not be written (${describeError(err)}); run \`backtestctl validate\` on this branch`,
    };
    return { body: renderPrComment(fallback), report: fallback };
  }
}

export function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
