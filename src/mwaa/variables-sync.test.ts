import { describe, expect, it } from 'vitest';
import { formatVariableChanges, syncVariables } from './variables-sync.js';

function memoryAirflow(initial: Record<string, string>) {
  const vars = new Map(Object.entries(initial));
  const sets: string[] = [];
  return {
    vars,
    sets,
    getVariable: async (k: string) => vars.get(k) ?? null,
    setVariable: async (k: string, v: string) => {
      sets.push(k);
      vars.set(k, v);
    },
  };
}

describe('syncVariables', () => {
  it('writes only what changed and reports old and new values', async () => {
    const af = memoryAirflow({ batch_job_queue: 'old-queue', trading_strategies_bucket: 'results' });
    const changes = await syncVariables(af, {
      trading_strategies_bucket: 'results',
      batch_job_queue: 'new-queue',
      batch_job_definition: 'backtest:3',
    });
    expect(af.sets).toEqual(['batch_job_definition', 'batch_job_queue']);
    expect(changes.map((c) => [c.key, c.action])).toEqual([
      ['batch_job_definition', 'create'],
      ['batch_job_queue', 'update'],
      ['trading_strategies_bucket', 'unchanged'],
    ]);
    const text = formatVariableChanges(changes, 'prod');
    expect(text).toContain('update batch_job_queue: "old-queue" -> "new-queue"');
    expect(text).toContain('2 changed, 1 unchanged');
  });

  it('never shows values of keys that look like credentials', async () => {
    const af = memoryAirflow({ api_token: 'old-secret-value' });
    const changes = await syncVariables(af, { api_token: 'new-secret-value' });
    const text = formatVariableChanges(changes, 'prod');
    expect(changes[0]).toMatchObject({ action: 'update', from: null, to: null, secret: true });
    expect(text).not.toContain('secret-value');
    expect(text).toContain('update api_token: (hidden) -> (hidden)');
  });

  it('changes nothing on a dry run', async () => {
    const af = memoryAirflow({});
    const changes = await syncVariables(af, { batch_job_queue: 'q' }, { dryRun: true });
    expect(af.sets).toEqual([]);
    expect(formatVariableChanges(changes, 'prod', true)).toContain('would set batch_job_queue = "q"');
  });
});
