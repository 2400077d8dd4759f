import { describe, expect, it } from 'vitest';
import type { AirflowCliRunner } from './airflow-cli.js';
import { airflowCommands, ImportError, ListedDag, parseJsonList } from './airflow-commands.js';

describe('parseJsonList', () => {
  it('reads Airflow booleans printed as strings, and nulls for DAGs not yet in the DB', () => {
    const out = parseJsonList(
      '[{"dag_id": "a", "fileloc": "/d/a.py", "is_paused": "True", "has_import_errors": "False"},' +
        ' {"dag_id": "b", "fileloc": "/d/b.py", "is_paused": null}]',
      ListedDag,
      'dags list',
    );
    expect(out).toEqual([
      { dag_id: 'a', fileloc: '/d/a.py', is_paused: true, has_import_errors: false },
      { dag_id: 'b', fileloc: '/d/b.py', is_paused: null, has_import_errors: null },
    ]);
  });

  it('treats "No data found" and empty output as an empty list', () => {
    expect(parseJsonList('No data found\n', ImportError, 'dags list-import-errors')).toEqual([]);
    expect(parseJsonList('', ImportError, 'dags list-import-errors', 'some warning')).toEqual([]);
  });

  it('skips noise printed before the JSON', () => {
    expect(
      parseJsonList('loading plugins\n[{"filepath": "/d/x.py", "error": "e"}]', ImportError, 'x'),
    ).toEqual([{ filepath: '/d/x.py', error: 'e' }]);
  });

  it('fails with the command name when Airflow crashed', () => {
    expect(() =>
      parseJsonList('', ListedDag, 'dags list', 'Traceback (most recent call last):\nValueError: db'),
    ).toThrow(/`airflow dags list` failed on MWAA: ValueError: db/);
  });
});

describe('airflowCommands', () => {
  function recorder(reply: { stdout: string; stderr: string } = { stdout: '', stderr: '' }) {
    const lines: string[][] = [];
    const runner: AirflowCliRunner = {
      run: async (args) => {
        lines.push([...args]);
        return reply;
      },
    };
    return { lines, runner };
  }

  it('unpauses several DAGs in one anchored regex call', async () => {
    const r = recorder();
    await airflowCommands(r.runner).unpause(['a.b', 'c']);
    expect(r.lines).toEqual([['dags', 'unpause', '--treat-dag-id-as-regex', '-y', '^(a\\.b|c)$']]);
  });

  it('returns null for a variable that does not exist', async () => {
    const r = recorder({ stdout: '', stderr: 'Variable nope does not exist\n' });
    expect(await airflowCommands(r.runner).getVariable('nope')).toBeNull();
  });

  it('refuses to trigger an id that is not a DAG id', async () => {
    const r = recorder();
    await expect(airflowCommands(r.runner).trigger('x; rm -rf /')).rejects.toThrow(/not a valid DAG id/);
    expect(r.lines).toEqual([]);
  });
});
