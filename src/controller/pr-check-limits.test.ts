import { describe, expect, it } from 'vitest';
import type { PullRequestInfo } from '../github/types.js';
import type { ValidationReport } from '../report/types.js';
import { countChangedFiles, renderPrCommentSafely, unfinishedReport } from './pr-check-limits.js';

const pr: PullRequestInfo = {
  number: 7,
  state: 'open',
  merged: false,
  headSha: 'c'.repeat(40),
  headRef: 'x',
  baseRef: 'main',
  fromFork: true,
  title: 't',
  htmlUrl: 'https://github.com/quant/backtests/pull/7',
};
const links = { owner: 'quant', repo: 'backtests', webUrl: 'https://github.com' };

describe('PR check limits', () => {
  it('counts files added, changed and deleted against the base', () => {
    const base = new Map([
      ['a.yaml', '1'],
      ['b.yaml', '2'],
      ['c.yaml', '3'],
    ]);
    const head = new Map([
      ['a.yaml', '1'],
      ['b.yaml', '2 changed'],
      ['d.yaml', 'new'],
    ]);
    expect(countChangedFiles(head, base)).toBe(3);
    expect(countChangedFiles(base, base)).toBe(0);
  });

  it('a report that cannot be rendered still gives a comment: the verdict and why', () => {
    const broken = {
      ...unfinishedReport(pr, links, null, 'x'),
      failure: null,
      issues: null,
    } as unknown as ValidationReport;
    const { body, report } = renderPrCommentSafely(broken);
    expect(report.valid).toBe(false);
    expect(report.failure).toMatch(/^the report could not be written \(TypeError: /);
    expect(body).toContain('### ❌ backtest-gitops: check failed');
    expect(body).toContain(`<!-- backtest-gitops:head=${pr.headSha} -->`);
    expect(body).toContain('comes from a fork');
  });
});
