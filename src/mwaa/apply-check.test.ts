import { describe, expect, it } from 'vitest';
import type { ApplyResult } from '../targets/apply-result.js';
import { changedDagsFromApply, formatImportCheck, mergeImportCheck } from './apply-check.js';
import type { DeployReport } from './deploy-report.js';
import type { ImportCheck } from './verify-deploy.js';

const outcome = (
  key: string,
  action: string,
  status = 'done',
  dag_id: string | null = key.replace('.py', ''),
) => ({
  key,
  dag_id,
  source: dag_id ? `backtests/${dag_id}.yaml` : null,
  action,
  status,
});

describe('changedDagsFromApply', () => {
  it('keeps DAG files that were written or deleted, not support files or failed writes', () => {
    const result = {
      files: [
        outcome('a.py', 'create'),
        outcome('b.py', 'update'),
        outcome('c.py', 'delete'),
        outcome('d.py', 'repair'),
        outcome('e.py', 'update', 'failed'),
        outcome('backtest_gitops_support/__init__.py', 'create', 'done', null),
      ],
    } as unknown as ApplyResult;
    expect(changedDagsFromApply(result)).toEqual([
      { dag_id: 'a', source: 'backtests/a.yaml', action: 'create', key: 'a.py' },
      { dag_id: 'b', source: 'backtests/b.yaml', action: 'update', key: 'b.py' },
      { dag_id: 'c', source: 'backtests/c.yaml', action: 'delete', key: 'c.py' },
      { dag_id: 'd', source: 'backtests/d.yaml', action: 'repair', key: 'd.py' },
    ]);
  });
});

const check: ImportCheck = {
  state: 'failed',
  message: 'import errors in b (backtests/b.yaml)',
  elapsed_ms: 12_300,
  polls: 2,
  otherImportErrors: 1,
  dags: [
    {
      dag_id: 'a',
      source: 'backtests/a.yaml',
      action: 'create',
      imported: true,
      import_error: null,
      unpaused: null,
      triggered: null,
    },
    {
      dag_id: 'b',
      source: 'backtests/b.yaml',
      action: 'update',
      imported: false,
      import_error: 'Traceback\nNameError: x',
      unpaused: null,
      triggered: null,
    },
  ],
};

describe('mergeImportCheck', () => {
  it('fills per-DAG outcomes and fails the report on import errors', () => {
    const report: DeployReport = {
      commit: 'abc',
      target: 'mwaa://prod',
      environment: null,
      airflow_version: null,
      dags: check.dags.map((d) => ({ ...d, imported: null, import_error: null })),
      kept_invalid: [],
      ok: true,
      summary: '2 DAGs deployed',
    };
    const merged = mergeImportCheck(report, check, { name: 'prod', airflowVersion: '2.10.3' });
    expect(merged.ok).toBe(false);
    expect(merged.environment).toBe('prod');
    expect(merged.dags[1]?.import_error).toBe('Traceback\nNameError: x');
    expect(merged.import_check).toEqual({ state: 'failed', message: check.message, elapsed_ms: 12_300 });
    expect(merged.summary).toBe('2 DAGs deployed; import check failed');
  });

  it('a deferred check does not fail the deploy', () => {
    const report = { ok: true, summary: 's', dags: [] } as unknown as DeployReport;
    const merged = mergeImportCheck(
      report,
      { ...check, state: 'deferred', dags: [] },
      { name: 'p', airflowVersion: '2' },
    );
    expect(merged.ok).toBe(true);
  });
});

describe('formatImportCheck', () => {
  it('lists each DAG with its state and the error text indented', () => {
    expect(formatImportCheck(check)).toBe(
      [
        'Import check (failed, 12.3 s): import errors in b (backtests/b.yaml)',
        '  imported     a (backtests/a.yaml)',
        '  IMPORT ERROR b (backtests/b.yaml)',
        '      Traceback',
        '      NameError: x',
        '  (1 import error(s) in files backtest-gitops does not own)',
        '',
      ].join('\n'),
    );
  });
});
