import { describe, expect, it } from 'vitest';
import { mapImportErrors, trimImportError } from './import-errors.js';

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
    const { byDagId } = mapImportErrors([{ filepath: '/dags/not_momentum.py', error: 'x' }], dags);
    expect(byDagId.size).toBe(0);
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
