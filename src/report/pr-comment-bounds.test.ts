import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../config/types.js';
import type { PlannedFile, SyncPlan } from '../plan/types.js';
import { renderDeployComment } from './deploy-comment.js';
import { capIssues, ISSUES_PER_FILE, ISSUES_PER_PR } from './issue-caps.js';
import { GITHUB_COMMENT_LIMIT, renderPrComment } from './pr-comment.js';
import type { ValidationReport } from './types.js';

const HEAD = 'a'.repeat(40);

function unknownKeys(files: number, perFile: number, keyLength = 12): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (let f = 0; f < files; f += 1) {
    for (let k = 0; k < perFile; k += 1) {
      issues.push({
        file: `backtests/hostile_${String(f).padStart(4, '0')}.yaml`,
        line: k + 1,
        column: 1,
        code: 'unknown-key',
        message: `unknown key \`${'k'.repeat(keyLength)}${k}\``,
        hint: `did you mean \`stop_loss_pct\`?`,
        severity: 'error',
      });
    }
  }
  return issues;
}

function report(issues: ConfigIssue[], files: PlannedFile[] = []): ValidationReport {
  const ids = (a: PlannedFile['action']) => files.filter((f) => f.action === a).map((f) => f.dag_id ?? f.key);
  const plan = {
    commit: HEAD,
    files,
    summary: {
      create: ids('create'),
      update: ids('update'),
      delete: ids('delete'),
      unchanged: ids('unchanged'),
      keep: ids('keep'),
      repair: ids('repair'),
    },
    massDelete: false,
  } as unknown as SyncPlan;
  return {
    headSha: HEAD,
    baseSha: null,
    valid: issues.length === 0,
    issues,
    plan,
    links: { webUrl: 'https://github.com', owner: 'quant', repo: 'backtests' },
  };
}

describe('the PR comment is bounded whatever the PR holds', () => {
  it('140,000 issues (1,000 configs × 140 unknown keys): built without a stack overflow, under the limit, summary first', {
    timeout: 60_000,
  }, () => {
    const issues = unknownKeys(1000, 140);
    const body = renderPrComment(report(issues));
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    const lines = body.split('\n');
    expect(lines[1]).toBe('### ❌ backtest-gitops: 140000 errors in 1000 configs');
    // The first file's first 50 errors, then how many more it has.
    expect(body).toContain('backtests/hostile_0000.yaml:50:1');
    expect(body).not.toContain('backtests/hostile_0000.yaml:51:1');
    expect(body).toContain('- … and 90 more errors in `backtests/hostile_0000.yaml`');
    // Everything not listed is counted, and the long list is folded.
    expect(body).toMatch(/… \d+ more errors not listed/);
    expect(body).toContain('<details><summary>');
  });

  it('caps issues per file and per PR, counting the rest per file', () => {
    const capped = capIssues(unknownKeys(30, 100));
    expect(capped.shown).toHaveLength(ISSUES_PER_PR);
    expect(capped.omitted).toBe(3000 - ISSUES_PER_PR);
    const perFile = new Map<string, number>();
    for (const i of capped.shown) perFile.set(i.file, (perFile.get(i.file) ?? 0) + 1);
    expect(Math.max(...perFile.values())).toBe(ISSUES_PER_FILE);
    expect(capped.omittedByFile.get('backtests/hostile_0000.yaml')).toBe(50);
  });

  it('for any number and size of issues and plan rows, the comment fits GitHub’s limit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 1, max: 900 }),
        fc.integer({ min: 0, max: 3000 }),
        (files, perFile, keyLength, rows) => {
          const plan: PlannedFile[] = Array.from({ length: rows }, (_, i) => ({
            key: `dag_${i}.py`,
            action: 'create',
            dag_id: `dag_${i}_${'x'.repeat(keyLength % 200)}`,
            source: `backtests/dag_${i}.yaml`,
            runs: 1,
          }));
          const body = renderPrComment(report(unknownKeys(files, perFile, keyLength), plan));
          expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT - 512);
          expect(body.startsWith(`<!-- backtest-gitops:head=${HEAD} -->`)).toBe(true);
        },
      ),
      { numRuns: 8 },
    );
  }, 120_000);

  it('the deploy comment too: 5,000 DAGs, 1,000 of them with a long traceback, fit; failures are listed first', () => {
    const dags = Array.from({ length: 5000 }, (_, i) => ({
      dag_id: `dag_${i}`,
      source: `backtests/dag_${i}.yaml`,
      action: 'create' as const,
      imported: i % 5 !== 4,
      import_error: i % 5 === 4 ? `Traceback\n${'x'.repeat(5000)}` : null,
      unpaused: null,
      triggered: null,
    }));
    const body = renderDeployComment({
      commit: HEAD,
      target: 's3://b/dags',
      environment: null,
      airflow_version: null,
      dags,
      kept_invalid: [],
      ok: false,
      summary: 'import errors',
    });
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    // The 300 rows listed are all failures (1,000 of them), none of the 4,000 that imported.
    expect(body).toContain('| `dag_4` | create | **no** |');
    expect(body).not.toContain('| `dag_0` |');
    expect(body).toContain('… and 990 more import errors');
    expect(body).toContain('… and 4700 more DAGs.');
  });
});
