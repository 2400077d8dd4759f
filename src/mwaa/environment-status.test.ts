import { describe, expect, it } from 'vitest';
import type { Manifest } from '../plan/types.js';
import type { MwaaEnvironment } from './environment.js';
import { collectEnvironmentStatus, formatEnvironmentStatus } from './environment-status.js';

const env = (status: string): MwaaEnvironment => ({
  name: 'prod',
  status,
  airflowVersion: '2.10.3',
  bucket: 'acme-mwaa',
  prefix: 'dags',
  webserverHostname: 'abc.airflow.amazonaws.com',
  region: 'eu-west-1',
});

const entry = (dagId: string | null, key: string) => ({
  key,
  sha256: 'x',
  size: 1,
  source: dagId ? `backtests/${dagId}.yaml` : null,
  dag_id: dagId,
  runs: 1,
  commit: 'c0ffee',
  etag: null,
});

const manifest: Manifest = {
  version: 1,
  generator: 'backtest-gitops test',
  commit: 'c0ffee1234567890',
  entries: [
    entry('a', 'a.py'),
    entry('b', 'b.py'),
    entry('c', 'c.py'),
    entry(null, 'backtest_gitops_support/__init__.py'),
  ],
};

describe('collectEnvironmentStatus', () => {
  it('reports each owned DAG as imported, import error (mapped by file) or missing', async () => {
    const status = await collectEnvironmentStatus(env('AVAILABLE'), manifest, {
      listDags: async () => [
        { dag_id: 'a', fileloc: '/usr/local/airflow/dags/a.py', is_paused: false, has_import_errors: false },
      ],
      listImportErrors: async () => [
        { filepath: '/usr/local/airflow/dags/b.py', error: 'SyntaxError: bad' },
        { filepath: '/usr/local/airflow/dags/not_ours.py', error: 'x' },
      ],
    });
    expect(status.dags?.map((d) => [d.dag_id, d.state, d.paused])).toEqual([
      ['a', 'imported', false],
      ['b', 'import-error', null],
      ['c', 'missing', null],
    ]);
    const text = formatEnvironmentStatus(status);
    expect(text).toContain('Our DAGs:     3 owned: 1 imported, 1 with import errors, 1 not listed');
    expect(text).toContain('  imported     a (active)  backtests/a.yaml');
    expect(text).toContain('      SyntaxError: bad');
    expect(text).toContain('(1 import error(s) in files we do not own)');
    expect(text).toContain('Deployed:     commit c0ffee123456');
  });

  it('does not ask Airflow while the environment is not AVAILABLE', async () => {
    const fail = async () => {
      throw new Error('must not be called');
    };
    const status = await collectEnvironmentStatus(env('UPDATING'), null, {
      listDags: fail,
      listImportErrors: fail,
    });
    expect(status.dags).toBeNull();
    const text = formatEnvironmentStatus(status);
    expect(text).toContain('Airflow was not asked: the environment is UPDATING, not AVAILABLE.');
    expect(text).toContain('Deployed:     nothing yet (no manifest)');
  });
});
