import { describe, expect, it } from 'vitest';
import {
  dagsFolderFrom,
  mapImportErrors,
  ownTraceback,
  resolveDagsFolder,
  trimImportError,
} from './import-errors.js';

describe('mapImportErrors', () => {
  const dags = [
    { dag_id: 'momentum', source: 'backtests/momentum.yaml', action: 'create' as const },
    { dag_id: 'value', source: 'backtests/value.yaml', action: 'update' as const, key: 'team/value.py' },
  ];

  it('maps absolute paths on the Airflow host back to the DAG and its config', () => {
    const { byDagId, unmatched } = mapImportErrors(
      [
        { filepath: '/usr/local/airflow/dags/momentum.py', error: 'SyntaxError: bad\n' },
        { filepath: '/usr/local/airflow/dags/team/value.py', error: 'boom' },
        { filepath: '/usr/local/airflow/dags/someone_elses.py', error: 'x' },
      ],
      dags,
    );
    expect(byDagId.get('momentum')).toBe('SyntaxError: bad');
    expect(byDagId.get('value')).toBe('boom');
    expect(unmatched.map((e) => e.filepath)).toEqual(['/usr/local/airflow/dags/someone_elses.py']);
  });

  it('does not match a file whose name merely ends like ours', () => {
    const { byDagId } = mapImportErrors([{ filepath: '/dags/not_momentum.py', error: 'x' }], dags, '/dags');
    expect(byDagId.size).toBe(0);
  });

  it('never takes a foreign file with our file name in another folder for ours (its traceback is not posted)', () => {
    const foreign = {
      filepath: '/usr/local/airflow/dags/team_x/momentum.py',
      error:
        'Traceback (most recent call last):\n  File "/usr/local/airflow/dags/team_x/momentum.py", line 3\n    PASSWORD = "hunter2"\nValueError: x',
    };
    const { byDagId, unmatched } = mapImportErrors([foreign], dags);
    expect(byDagId.size).toBe(0);
    expect(unmatched).toEqual([foreign]);
  });

  it('learns the DAG folder from where Airflow lists our DAGs, else from every path it named', () => {
    const listed = [
      {
        dag_id: 'value',
        fileloc: '/opt/airflow/dags/team/value.py',
        is_paused: false,
        has_import_errors: false,
      },
      { dag_id: 'other', fileloc: '/opt/airflow/dags/x/y.py', is_paused: false, has_import_errors: false },
    ];
    expect(dagsFolderFrom(listed, dags)).toBe('/opt/airflow/dags');
    const errors = [
      { filepath: '/opt/airflow/dags/momentum.py', error: 'e' },
      { filepath: '/opt/airflow/dags/team_x/momentum.py', error: 'e' },
    ];
    expect(resolveDagsFolder([], errors, dags)).toBe('/opt/airflow/dags');
    const { byDagId, unmatched } = mapImportErrors(errors, dags, resolveDagsFolder([], errors, dags));
    expect([...byDagId.keys()]).toEqual(['momentum']);
    expect(unmatched.map((e) => e.filepath)).toEqual(['/opt/airflow/dags/team_x/momentum.py']);
    expect(resolveDagsFolder([], [], dags)).toBe('/usr/local/airflow/dags');
  });
});

describe('ownTraceback', () => {
  it('keeps only the frames of our file, counting the others', () => {
    const text = [
      'Traceback (most recent call last):',
      '  File "/usr/local/airflow/dags/momentum.py", line 5, in <module>',
      '    from team_x.secrets import thing',
      '  File "/usr/local/airflow/dags/team_x/secrets.py", line 2, in <module>',
      '    DB_PASSWORD = os.environ["X"] or "hunter2"',
      "KeyError: 'X'",
    ].join('\n');
    const own = ownTraceback(text, '/usr/local/airflow/dags/momentum.py');
    expect(own).toContain('momentum.py", line 5');
    expect(own).toContain('from team_x.secrets import thing');
    expect(own).not.toContain('hunter2');
    expect(own).not.toContain('team_x/secrets.py');
    expect(own).toContain('… 1 frame in other files not shown');
    expect(own).toContain("KeyError: 'X'");
  });
});

describe('trimImportError', () => {
  it('keeps the end of long tracebacks', () => {
    const text = `${'frame\n'.repeat(1000)}ValueError: the real reason`;
    const out = trimImportError(text, 100);
    expect(out.length).toBe(100);
    expect(out.endsWith('ValueError: the real reason')).toBe(true);
  });
});
