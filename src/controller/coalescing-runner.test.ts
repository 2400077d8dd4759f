import { describe, expect, it } from 'vitest';
import { gate } from '../../test/support/controller-fakes.js';
import { CoalescingRunner, MAX_REASONS } from './coalescing-runner.js';

/** Jobs below never throw; a call here fails the test. */
const unexpected = (err: unknown) => {
  throw new Error(`job threw: ${String(err)}`);
};

describe('CoalescingRunner', () => {
  it('runs one job at a time and merges requests made during a run into one follow-up', async () => {
    const runs: string[][] = [];
    let active = 0;
    let maxActive = 0;
    const holds = [gate(), gate()];
    const runner = new CoalescingRunner(async (reasons) => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs.push(reasons);
      await holds[runs.length - 1]?.promise;
      active--;
    }, unexpected);
    runner.request('a');
    runner.request('b');
    runner.request('c');
    runner.request('b');
    holds[0]?.open();
    await new Promise((r) => setImmediate(r));
    runner.request('d'); // arrives during the follow-up: one more run
    holds[1]?.open();
    await runner.idle();
    expect(runs).toEqual([['a'], ['b', 'c'], ['d']]);
    expect(maxActive).toBe(1);
  });

  it('keeps running after a job throws, says so each time, and refuses requests once closed', async () => {
    let calls = 0;
    const thrown: unknown[] = [];
    const runner = new CoalescingRunner(
      async () => {
        calls++;
        throw new Error(`boom ${calls}`);
      },
      (err) => thrown.push(err),
    );
    runner.request('a');
    await runner.idle();
    runner.request('b');
    await runner.idle();
    expect(calls).toBe(2);
    expect(thrown.map((e) => (e as Error).message)).toEqual(['boom 1', 'boom 2']);
    runner.close();
    expect(runner.request('c')).toBe(false);
  });

  it('a flood of requests during a run: one follow-up, its reasons bounded and the rest counted', async () => {
    const runs: string[][] = [];
    const hold = gate();
    const runner = new CoalescingRunner(async (reasons) => {
      runs.push(reasons);
      if (runs.length === 1) await hold.promise;
    }, unexpected);
    runner.request('first');
    for (let i = 0; i < 10_000; i += 1) runner.request(`webhook:${i}`);
    hold.open();
    await runner.idle();
    expect(runs).toHaveLength(2);
    expect(runs[1]).toHaveLength(MAX_REASONS + 1);
    expect(runs[1]?.at(-1)).toBe(`+${10_000 - MAX_REASONS} more`);
  });
});
