import type { ConfigIssue } from '../config/types.js';

/** At most this many issues of one file are listed on a PR; the rest are counted. */
export const ISSUES_PER_FILE = 50;
/** At most this many issues in all are listed on a PR (comment and annotations). */
export const ISSUES_PER_PR = 1000;

export interface CappedIssues {
  /** The issues to list, in the order given, at most `perFile` per file and `perPr` in all. */
  shown: ConfigIssue[];
  /** File → issues of it not listed (only files with some left out), in order of first appearance. */
  omittedByFile: Map<string, number>;
  omitted: number;
}

/**
 * Bounds what one PR can make us list, whatever it contains: the first `perFile` issues of
 * each file and `perPr` in all; everything else is counted per file ("and N more in FILE").
 * One pass, no spreads: 10⁶ issues cost a loop, not the call stack.
 */
export function capIssues(
  issues: readonly ConfigIssue[],
  perFile = ISSUES_PER_FILE,
  perPr = ISSUES_PER_PR,
): CappedIssues {
  const shown: ConfigIssue[] = [];
  const perFileShown = new Map<string, number>();
  const omittedByFile = new Map<string, number>();
  let omitted = 0;
  for (const issue of issues) {
    const count = perFileShown.get(issue.file) ?? 0;
    if (count < perFile && shown.length < perPr) {
      shown.push(issue);
      perFileShown.set(issue.file, count + 1);
    } else {
      omittedByFile.set(issue.file, (omittedByFile.get(issue.file) ?? 0) + 1);
      omitted += 1;
    }
  }
  return { shown, omittedByFile, omitted };
}
