import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/controller-fakes.js';
import { SafetyError } from '../shared/errors.js';
import { withRetry } from './retry.js';

const policy = { attempts: 5, initialDelayMs: 100, maxDelayMs: 500 };

describe('withRetry', () => {
  it('backs off exponentially up to the cap, then gives up with the last error', async () => {
    const clock = new ManualClock(0, true);
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw new Error(`fail ${calls}`);
      },
      policy,
      clock,
      new AbortController().signal,
    ).catch((e: Error) => e);
    expect((err as Error).message).toBe('fail 5');
    expect(clock.sleeps).toEqual([100, 200, 400, 500]);
  });

  it('does not retry safety refusals', async () => {
    const clock = new ManualClock(0, true);
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new SafetyError('no', 'mass-delete');
        },
        policy,
        clock,
        new AbortController().signal,
      ),
    ).rejects.toBeInstanceOf(SafetyError);
    expect(calls).toBe(1);
  });

  it('stops waiting at once when aborted during the backoff', async () => {
    const clock = new ManualClock(0, false);
    const ac = new AbortController();
    const run = withRetry(
      async () => {
        throw new Error('down');
      },
      policy,
      clock,
      ac.signal,
    );
    await new Promise((r) => setImmediate(r));
    ac.abort(new Error('SIGTERM'));
    await expect(run).rejects.toThrow('SIGTERM');
  });
});
