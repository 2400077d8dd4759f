import { describe, expect, it } from 'vitest';
import { expectGolden } from '../../test/support/golden.js';
import type { DeployReport } from '../mwaa/deploy-report.js';
import type { PlannedFile, SyncPlan } from '../plan/types.js';
import {
  deployStatusDescription,
  GITHUB_COMMENT_LIMIT,
  renderDeployComment,
  renderPrComment,
  statusDescription,
} from './index.js';
import type { ValidationReport } from './types.js';

/** Compares with a checked-in golden file; only `npm run golden:update` writes them. */
function golden(name: string, actual: string): void {
  expectGolden(new URL(`./__golden__/${name}.golden`, import.meta.url), actual);
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
    expect(body).toMatch(/more warnings? not listed/);
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

// Fixtures (hoisted function/consts are used above).
const HEAD = '1111111111111111111111111111111111111111';
const BASE = '2222222222222222222222222222222222222222';

function planOf(files: PlannedFile[]): SyncPlan {
  const ids = (a: PlannedFile['action']) =>
    files.filter((f) => f.action === a && f.dag_id).map((f) => f.dag_id as string);
  return {
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
    deleteCounts: { deleted: ids('delete').length, owned: 3, maxShare: 0.5 },
    base: { manifest: null, version: null },
    replan: { invalidSources: [], maxDeleteShare: 0.5, adopt: false },
  };
}

const validReport: ValidationReport = {
  headSha: HEAD,
  baseSha: BASE,
  valid: true,
  issues: [],
  links: { webUrl: 'https://github.com', owner: 'quant', repo: 'backtests' },
  plan: planOf([
    {
      key: 'momentum_grid.py',
      action: 'create',
      dag_id: 'momentum_grid',
      source: 'backtests/momentum_grid.yaml',
      runs: 9,
    },
    {
      key: 'value_single.py',
      action: 'update',
      dag_id: 'value_single',
      source: 'backtests/value_single.yaml',
      runs: 1,
      diff: '--- a/value_single.py\n+++ b/value_single.py\n@@ -1,3 +1,3 @@\n # header\n-CONFIG = {"stop_loss_pct": 5.0}\n+CONFIG = {"stop_loss_pct": 8.0}\n',
    },
    { key: 'old_dag.py', action: 'delete', dag_id: 'old_dag', source: 'backtests/old_dag.yaml', runs: 0 },
    { key: 'mixed.py', action: 'unchanged', dag_id: 'mixed', source: 'backtests/mixed.yaml', runs: 9 },
  ]),
  created: { 'momentum_grid.py': '# rendered by backtest-gitops\nCONFIG = {"dag_id": "momentum_grid"}\n' },
};

const invalidReport: ValidationReport = {
  headSha: HEAD,
  baseSha: BASE,
  valid: false,
  links: { webUrl: 'https://github.com', owner: 'quant', repo: 'backtests' },
  issues: [
    {
      file: 'backtests/momentum_grid.yaml',
      line: 12,
      column: 3,
      code: 'unknown-key',
      message: 'unknown key `stop_los_pct`',
      hint: 'did you mean `stop_loss_pct`?',
      severity: 'error',
    },
    {
      file: 'backtests/dates.yaml',
      line: 4,
      column: 11,
      code: 'end-before-start',
      message: 'end_date 2022-01-01 is before start_date 2022-12-31',
      severity: 'error',
    },
    {
      file: 'backtests/dates.yaml',
      line: 2,
      column: 1,
      code: 'deprecated',
      message: 'key <script>alert(1)</script> by @someone | is deprecated',
      severity: 'warning',
    },
  ],
  plan: planOf([
    {
      key: 'dates.py',
      action: 'keep',
      dag_id: 'dates',
      source: 'backtests/dates.yaml',
      runs: 1,
      reason: 'config invalid, last good DAG kept',
    },
  ]),
};

const deployReport: DeployReport = {
  commit: HEAD,
  target: 's3://mwaa-dags/dags',
  environment: 'research-prod',
  airflow_version: '2.10.3',
  dags: [
    {
      dag_id: 'momentum_grid',
      source: 'backtests/momentum_grid.yaml',
      action: 'create',
      imported: true,
      import_error: null,
      unpaused: true,
      triggered: false,
    },
    {
      dag_id: 'value_single',
      source: 'backtests/value_single.yaml',
      action: 'update',
      imported: false,
      import_error: 'Traceback (most recent call last):\n  ImportError: no module named foo',
      unpaused: null,
      triggered: null,
    },
  ],
  kept_invalid: ['backtests/dates.yaml'],
  ok: false,
  summary: '2 DAGs deployed, 1 import error (value_single)',
};

describe('golden files', () => {
  it('a missing golden file fails the test instead of being written', async () => {
    const { existsSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { pathToFileURL } = await import('node:url');
    const missing = new URL('absent.md.golden', pathToFileURL(`${mkdtempSync(`${tmpdir()}/golden-`)}/`));
    expect(() => expectGolden(missing, 'body', false)).toThrow(/is missing: run `npm run golden:update`/);
    expect(existsSync(missing)).toBe(false);
  });
});
