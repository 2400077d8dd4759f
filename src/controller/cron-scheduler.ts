import { createTask, type ScheduledTask } from 'node-cron';
import type { Scheduler } from './ports.js';

/**
 * The poll schedule on node-cron. The tick only *requests* a reconcile; the coalescing
 * runner decides whether one starts, so a slow reconcile never overlaps the next tick.
 */
export class CronScheduler implements Scheduler {
  private task: ScheduledTask | null = null;
  constructor(private readonly expression: string) {}

  start(tick: () => void): void {
    if (this.task) return;
    this.task = createTask(this.expression, () => tick(), {
      name: 'backtest-gitops-reconcile',
      noOverlap: false,
    });
    void this.task.start();
  }

  stop(): void {
    const task = this.task;
    this.task = null;
    if (task) void task.destroy();
  }
}

/** Typical gap between two runs of a cron expression (for readiness: "last reconcile < 3 intervals"). */
export function cronIntervalMs(expression: string): number {
  const probe = createTask(expression, () => {});
  try {
    const runs = probe.getNextRuns(4).map((d) => d.getTime());
    let gap = 0;
    for (let i = 1; i < runs.length; i++) gap = Math.max(gap, (runs[i] ?? 0) - (runs[i - 1] ?? 0));
    return gap > 0 ? gap : 60_000;
  } finally {
    void probe.destroy();
  }
}
