import { describe, expect, it } from 'vitest';
import { MwaaError } from '../shared/errors.js';
import type { AirflowCommands, ImportError, ListedDag } from './airflow-commands.js';
import { verifyDeploy } from './verify-deploy.js';

/** An in-memory Airflow whose DAG list changes with the (virtual) clock. */
function fakeAirflow(script: (t: number) => { dags: ListedDag[]; errors?: ImportError[] }) {
  let t = 0;
  const calls: string[] = [];
  const cli: Pick<AirflowCommands, 'listDags' | 'listImportErrors' | 'unpause' | 'trigger'> = {
    listDags: async () => {
      calls.push('list');
      return script(t).dags;
    },
    listImportErrors: async () => {
      calls.push('errors');
      return script(t).errors ?? [];
    },
    unpause: async (ids) => {
      calls.push(`unpause ${ids.join(',')}`);
    },
    trigger: async (id) => {
      calls.push(`trigger ${id}`);
    },
  };
  return {
    cli,
    calls,
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
  };
}

const dag = (dag_id: string, is_paused: boolean | null = true): ListedDag => ({
  dag_id,
  fileloc: `/dags/${dag_id}.py`,
  is_paused,
  has_import_errors: false,
});

describe('verifyDeploy', () => {
  it('waits with backoff until new DAGs are listed, then unpauses and triggers them once', async () => {
    const af = fakeAirflow((t) => ({ dags: t >= 20_000 ? [dag('a'), dag('b', false)] : [] }));
    const check = await verifyDeploy({
      ...af,
      changed: [
        { dag_id: 'a', source: 'backtests/a.yaml', action: 'create' },
        { dag_id: 'b', source: 'backtests/b.yaml', action: 'create' },
      ],
      timeoutMs: 300_000,
      pollIntervalMs: 5_000,
      unpauseNew: true,
      triggerNew: true,
    });
    expect(check.state).toBe('confirmed');
    expect(check.polls).toBe(4); // t = 0, 5, 12.5, 23.75 s
    expect(check.dags.map((d) => [d.dag_id, d.imported, d.unpaused, d.triggered])).toEqual([
      ['a', true, true, true],
      ['b', true, true, true],
    ]);
    // b was already unpaused: only a is sent.
    expect(af.calls.filter((c) => !['list', 'errors'].includes(c))).toEqual([
      'unpause a',
      'trigger a',
      'trigger b',
    ]);
  });

  it('maps an import error to its DAG and config and does not unpause anything', async () => {
    const af = fakeAirflow(() => ({
      dags: [dag('good')],
      errors: [{ filepath: '/dags/bad.py', error: 'Traceback...\nNameError: x\n' }],
    }));
    const check = await verifyDeploy({
      ...af,
      changed: [
        { dag_id: 'good', source: 'backtests/good.yaml', action: 'create' },
        { dag_id: 'bad', source: 'backtests/bad.yaml', action: 'update' },
      ],
      timeoutMs: 60_000,
      pollIntervalMs: 1_000,
      unpauseNew: true,
      triggerNew: false,
    });
    expect(check.state).toBe('failed');
    expect(check.message).toContain('bad (backtests/bad.yaml)');
    const bad = check.dags.find((d) => d.dag_id === 'bad');
    expect(bad).toMatchObject({ imported: false, import_error: 'Traceback...\nNameError: x' });
    expect(af.calls).not.toContain('unpause good');
  });

  it('reports a DAG that never appears as a timeout naming it', async () => {
    const af = fakeAirflow(() => ({ dags: [dag('here')] }));
    const check = await verifyDeploy({
      ...af,
      changed: [
        { dag_id: 'here', source: 'h.yaml', action: 'update' },
        { dag_id: 'ghost', source: 'g.yaml', action: 'create' },
      ],
      timeoutMs: 30_000,
      pollIntervalMs: 5_000,
      unpauseNew: true,
      triggerNew: true,
    });
    expect(check.state).toBe('timeout');
    expect(check.message).toMatch(/ghost.*nothing was deleted/);
    expect(check.dags.find((d) => d.dag_id === 'ghost')).toMatchObject({
      imported: false,
      note: 'not listed by Airflow after 30 s',
    });
    expect(check.dags.find((d) => d.dag_id === 'here')?.imported).toBe(true);
    expect(af.now()).toBe(30_000);
    expect(af.calls.some((c) => c.startsWith('unpause') || c.startsWith('trigger'))).toBe(false);
  });

  it('confirms deleted DAGs are gone', async () => {
    const af = fakeAirflow((t) => ({ dags: t < 2_000 ? [dag('old')] : [] }));
    const check = await verifyDeploy({
      ...af,
      changed: [{ dag_id: 'old', source: 'old.yaml', action: 'delete' }],
      timeoutMs: 30_000,
      pollIntervalMs: 2_000,
      unpauseNew: false,
      triggerNew: false,
    });
    expect(check.state).toBe('confirmed');
    expect(check.dags[0]).toMatchObject({ imported: null, note: 'removed from Airflow' });
  });

  it('defers without asking Airflow when the environment is UPDATING', async () => {
    const af = fakeAirflow(() => ({ dags: [] }));
    const check = await verifyDeploy({
      ...af,
      environment: { name: 'prod', status: 'UPDATING' },
      changed: [{ dag_id: 'a', source: 'a.yaml', action: 'create' }],
      timeoutMs: 30_000,
      pollIntervalMs: 2_000,
      unpauseNew: true,
      triggerNew: true,
    });
    expect(check.state).toBe('deferred');
    expect(check.message).toMatch(/'prod' is UPDATING/);
    expect(check.dags[0]?.imported).toBeNull();
    expect(af.calls).toEqual([]);
  });
});

describe('verifyDeploy and the scheduler', () => {
  it('treats a listed DAG the scheduler flags with an import error as not imported', async () => {
    const af = fakeAirflow(() => ({
      dags: [{ dag_id: 'a', fileloc: '/dags/a.py', is_paused: true, has_import_errors: true }],
    }));
    const check = await verifyDeploy({
      ...af,
      changed: [{ dag_id: 'a', source: 'a.yaml', action: 'create' }],
      timeoutMs: 10_000,
      pollIntervalMs: 1_000,
      unpauseNew: true,
      triggerNew: true,
    });
    expect(check.state).toBe('failed');
    expect(check.dags[0]).toMatchObject({ imported: false, unpaused: null, triggered: null });
    expect(check.dags[0]?.import_error).toMatch(/scheduler recorded an import error/);
  });
});

describe('verifyDeploy and stale import errors', () => {
  it('waits out the grace period before blaming an updated DAG for an error its old file had', async () => {
    // The old (broken) file is still what Airflow sees for 20 s, then the fix arrives.
    const af = fakeAirflow((t) =>
      t < 20_000
        ? { dags: [], errors: [{ filepath: '/dags/fixed.py', error: 'old error' }] }
        : { dags: [dag('fixed')] },
    );
    const check = await verifyDeploy({
      ...af,
      changed: [{ dag_id: 'fixed', source: 'fixed.yaml', action: 'update' }],
      timeoutMs: 120_000,
      pollIntervalMs: 5_000,
      staleErrorGraceMs: 45_000,
      unpauseNew: false,
      triggerNew: false,
    });
    expect(check.state).toBe('confirmed');
    expect(check.dags[0]).toMatchObject({ imported: true, import_error: null });
  });

  it('reports the error once the grace period has passed', async () => {
    const af = fakeAirflow(() => ({
      dags: [],
      errors: [{ filepath: '/dags/broken.py', error: 'still broken' }],
    }));
    const check = await verifyDeploy({
      ...af,
      changed: [{ dag_id: 'broken', source: 'broken.yaml', action: 'update' }],
      timeoutMs: 120_000,
      pollIntervalMs: 5_000,
      staleErrorGraceMs: 30_000,
      unpauseNew: false,
      triggerNew: false,
    });
    expect(check.state).toBe('failed');
    expect(af.now()).toBeGreaterThanOrEqual(30_000);
    expect(af.now()).toBeLessThan(60_000);
    expect(check.dags[0]?.import_error).toBe('still broken');
  });
});

describe('verifyDeploy when the web server hiccups', () => {
  it('counts a failed poll as one poll and carries on', async () => {
    const af = fakeAirflow(() => ({ dags: [dag('a')] }));
    let calls = 0;
    const flaky = {
      ...af.cli,
      listDags: async () => {
        if (++calls === 1) throw new MwaaError('HTTP 502', { code: 'mwaa-cli' });
        return af.cli.listDags();
      },
    };
    const check = await verifyDeploy({
      ...af,
      cli: flaky,
      changed: [{ dag_id: 'a', source: 'a.yaml', action: 'update' }],
      timeoutMs: 60_000,
      pollIntervalMs: 1_000,
      unpauseNew: false,
      triggerNew: false,
    });
    expect(check).toMatchObject({ state: 'confirmed', polls: 2 });
  });

  it('never confirms deletes it could not ask about, and says why it timed out', async () => {
    const af = fakeAirflow(() => ({ dags: [] }));
    const down = {
      ...af.cli,
      listDags: async (): Promise<ListedDag[]> => {
        throw new MwaaError('cannot reach the web server', { code: 'mwaa-unreachable' });
      },
    };
    const check = await verifyDeploy({
      ...af,
      cli: down,
      changed: [{ dag_id: 'gone', source: 'gone.yaml', action: 'delete' }],
      timeoutMs: 10_000,
      pollIntervalMs: 2_000,
      unpauseNew: false,
      triggerNew: false,
    });
    expect(check.state).toBe('timeout');
    expect(check.message).toContain('(last poll failed: cannot reach the web server)');
  });

  it('does not retry errors that will not go away (access denied, rejected command)', async () => {
    const af = fakeAirflow(() => ({ dags: [] }));
    const denied = {
      ...af.cli,
      listDags: async (): Promise<ListedDag[]> => {
        throw new MwaaError('access denied calling airflow:CreateCliToken', { code: 'mwaa-access-denied' });
      },
    };
    await expect(
      verifyDeploy({
        ...af,
        cli: denied,
        changed: [{ dag_id: 'a', source: 'a.yaml', action: 'create' }],
        timeoutMs: 10_000,
        pollIntervalMs: 2_000,
        unpauseNew: false,
        triggerNew: false,
      }),
    ).rejects.toThrow(/airflow:CreateCliToken/);
    expect(af.now()).toBe(0);
  });
});

describe('verifyDeploy progress', () => {
  it('says before each wait what is pending, how long it waited and when it gives up', async () => {
    const af = fakeAirflow((t) => ({
      dags: t >= 12_000 ? [dag('a'), dag('gone')] : [dag('gone')],
      errors: t >= 12_000 ? [] : [{ filepath: '/dags/b.py', error: 'SyntaxError' }],
    }));
    const lines: string[] = [];
    const check = await verifyDeploy({
      ...af,
      changed: [
        { dag_id: 'a', source: 'backtests/a.yaml', action: 'create' },
        { dag_id: 'gone', source: null, action: 'delete' },
      ],
      timeoutMs: 20_000,
      pollIntervalMs: 5_000,
      unpauseNew: false,
      triggerNew: false,
      onProgress: (line) => lines.push(line),
    });
    expect(check.state).toBe('timeout');
    expect(lines).toEqual([
      '  waiting for Airflow: 2 changed DAG(s) pending (a: not listed yet, gone: deleted, still listed); 0 s elapsed, gives up in 20 s',
      '  waiting for Airflow: 2 changed DAG(s) pending (a: not listed yet, gone: deleted, still listed); 5 s elapsed, gives up in 15 s',
      '  waiting for Airflow: 1 changed DAG(s) pending (gone: deleted, still listed); 13 s elapsed, gives up in 8 s',
    ]);
  });
});
