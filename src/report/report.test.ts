import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PlannedFile } from '../plan/types.js';
import { deployReport, HEAD, invalidReport, planOf, validReport } from './fixtures.test-helpers.js';
import {
  deployStatusDescription,
  GITHUB_COMMENT_LIMIT,
  renderDeployComment,
  renderPrComment,
  statusDescription,
} from './index.js';

/** Compares with a golden file; `UPDATE_GOLDEN=1` rewrites it (review the diff before committing). */
function golden(name: string, actual: string): void {
  const file = new URL(`./__golden__/${name}.golden`, import.meta.url);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

describe('renderPrComment', () => {
  it('renders a valid PR: verdict, plan with runs per DAG, diffs in <details>', () => {
    golden('pr-comment-valid.md', renderPrComment(validReport));
  });

  it('renders errors as file:line:column linked at the head SHA, with hints, escaped', () => {
    const body = renderPrComment(invalidReport);
    golden('pr-comment-invalid.md', body);
    expect(body).toContain(
      `https://github.com/quant/backtests/blob/${HEAD}/backtests/momentum_grid.yaml#L12`,
    );
    expect(body).not.toContain('<script>');
    expect(body).not.toMatch(/@someone/);
  });

  it('is deterministic', () => {
    expect(renderPrComment(validReport)).toBe(renderPrComment(structuredClone(validReport)));
  });

  it('stays under GitHub limit for a huge plan: diffs first, then rows, saying what was omitted', () => {
    const files: PlannedFile[] = Array.from({ length: 400 }, (_, i) => ({
      key: `dag_${String(i).padStart(3, '0')}.py`,
      action: 'update',
      dag_id: `dag_${i}`,
      source: `backtests/dag_${i}.yaml`,
      runs: 27,
      diff: `--- a\n+++ b\n${'+x = 1\n'.repeat(200)}`,
    }));
    const issues = Array.from({ length: 5000 }, (_, i) => ({
      file: `backtests/f${i}.yaml`,
      line: i + 1,
      column: 1,
      code: 'unknown-key',
      message: `unknown key \`k${i}\` ${'x'.repeat(40)}`,
      severity: 'warning' as const,
    }));
    const body = renderPrComment({ ...validReport, plan: planOf(files), issues });
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT - 512);
    expect(body).toMatch(/rendered files? omitted to fit/);
    expect(body).toMatch(/warnings? omitted/);
    expect(body).toContain('400 to update');
    expect(body).toContain(`<!-- backtest-gitops:head=${HEAD} -->`);
  });
});

describe('renderPrComment trimming priorities', () => {
  it('keeps every error when a huge plan table must be cut', () => {
    const files: PlannedFile[] = Array.from({ length: 3000 }, (_, i) => ({
      key: `dag_${i}.py`,
      action: 'create',
      dag_id: `a_rather_long_dag_identifier_${i}`,
      source: `backtests/some/deep/folder/a_rather_long_dag_identifier_${i}.yaml`,
      runs: 1,
    }));
    const body = renderPrComment({ ...invalidReport, plan: planOf(files) });
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT - 512);
    expect(body).toContain('backtests/momentum_grid.yaml:12:3');
    expect(body).toContain('backtests/dates.yaml:4:11');
    expect(body).toMatch(/more DAG changes? omitted/);
  });
});

describe('status descriptions', () => {
  it('are one line of at most 140 characters', () => {
    expect(statusDescription(validReport)).toBe(
      'Valid: 1 to create, 1 to update, 1 to delete; 19 runs in 3 DAGs',
    );
    expect(statusDescription(invalidReport)).toBe(
      '2 errors in 2 configs — backtests/momentum_grid.yaml:12: unknown key `stop_los_pct`',
    );
    const long = statusDescription({
      ...invalidReport,
      issues: [{ ...invalidReport.issues[0], message: 'y'.repeat(500) } as never],
    });
    expect(long.length).toBeLessThanOrEqual(140);
    expect(deployStatusDescription({ ...deployReport, summary: 'z'.repeat(300) }).length).toBe(140);
  });
});

describe('renderDeployComment', () => {
  it('reports DAGs changed and the import check', () => {
    golden('deploy-comment.md', renderDeployComment(deployReport));
  });
});
