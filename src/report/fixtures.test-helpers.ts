import type { DeployReport } from '../mwaa/deploy-report.js';
import type { PlannedFile, SyncPlan } from '../plan/types.js';
import type { ValidationReport } from './types.js';

export const HEAD = '1111111111111111111111111111111111111111';
export const BASE = '2222222222222222222222222222222222222222';

export function planOf(files: PlannedFile[]): SyncPlan {
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

export const validReport: ValidationReport = {
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

export const invalidReport: ValidationReport = {
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

export const deployReport: DeployReport = {
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
