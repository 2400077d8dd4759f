import { describe, expect, it } from 'vitest';
import { CronScheduler, cronIntervalMs } from './cron-scheduler.js';

describe('cron schedule', () => {
  it('estimates the interval of common expressions', () => {
    expect(cronIntervalMs('* * * * *')).toBe(60_000);
    expect(cronIntervalMs('*/5 * * * *')).toBe(300_000);
    expect(cronIntervalMs('*/2 * * * * *')).toBe(2_000);
  });

  it('starts and stops a node-cron task that only requests reconciles', async () => {
    const scheduler = new CronScheduler('* * * * * *');
    let ticks = 0;
    scheduler.start(() => {
      ticks++;
    });
    for (let i = 0; i < 40 && ticks === 0; i++) await new Promise((r) => setTimeout(r, 100));
    scheduler.stop();
    expect(ticks).toBeGreaterThan(0);
    const after = ticks;
    await new Promise((r) => setTimeout(r, 1200));
    expect(ticks).toBe(after);
  });
});
