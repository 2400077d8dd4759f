import { describe, expect, it } from 'vitest';
import { InMemoryGitHub } from '../../test/support/in-memory-github.js';
import type { DeployReport } from '../mwaa/deploy-report.js';
import { reportDeploy } from './deploy-report.js';

const MERGE = 'c'.repeat(40);
const report: DeployReport = {
  commit: MERGE,
  target: 's3://dags/dags',
  environment: null,
  airflow_version: null,
  dags: [
    {
      dag_id: 'grid',
      source: 'backtests/grid.yaml',
      action: 'create',
      imported: true,
      import_error: null,
      unpaused: null,
      triggered: null,
    },
  ],
  kept_invalid: [],
  ok: true,
  summary: '1 DAG created, imported',
};

describe('reportDeploy', () => {
  it('sets the deploy status and comments once on the merged PR', async () => {
    const github = new InMemoryGitHub();
    github.open({ number: 4, headSha: 'd'.repeat(40), state: 'closed', merged: true });
    github.commitPulls.set(MERGE, [4]);
    expect(await reportDeploy({ github }, MERGE, report)).toEqual({ statusSet: true, commentedOn: 4 });
    expect(github.statuses).toEqual([
      {
        sha: MERGE,
        context: 'backtest-gitops/deploy',
        state: 'success',
        description: '1 DAG created, imported',
      },
    ]);
    expect(github.comments.get(4)?.[0]?.body).toContain('`grid`');
    expect(await reportDeploy({ github }, MERGE, report)).toEqual({ statusSet: false, commentedOn: null });
    expect(github.comments.get(4)).toHaveLength(1);
  });

  it('sets only the status for a direct push', async () => {
    const github = new InMemoryGitHub();
    expect(await reportDeploy({ github }, MERGE, { ...report, ok: false })).toEqual({
      statusSet: true,
      commentedOn: null,
    });
    expect(github.statuses[0]?.state).toBe('failure');
  });
});
