import type { Logger } from '../shared/logger.js';
import { CoalescingRunner } from './coalescing-runner.js';
import type { Clock, Scheduler } from './ports.js';
import type { Reconciler } from './reconciler.js';

export type StopOutcome = 'idle' | 'finished' | 'abandoned' | 'timed-out';

/**
 * The long-running loop: schedule ticks and webhook triggers request reconciles, the
 * coalescing runner makes sure they never overlap, and `stop` (SIGTERM) lets the current
 * reconcile finish within the grace period, or aborts it at the next safe point.
 */
export class Controller {
  private readonly runner: CoalescingRunner;
  private abort = new AbortController();
  private stopping = false;

  constructor(
    private readonly reconciler: Reconciler,
    private readonly scheduler: Scheduler,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly graceMs: number,
  ) {
    this.runner = new CoalescingRunner(
      async (reasons) => {
        await this.reconciler.reconcile(reasons, this.abort.signal);
      },
      (err) =>
        this.log.error({ err }, 'reconcile threw instead of reporting its failure (a bug); the loop goes on'),
    );
  }

  /** Starts the schedule and runs a first reconcile at once. */
  start(): void {
    this.scheduler.start(() => this.trigger('schedule'));
    this.trigger('startup');
  }

  /** Requests a reconcile (coalesced with one already running); false while shutting down. */
  trigger(reason: string): boolean {
    if (this.stopping) return false;
    return this.runner.request(reason);
  }

  get busy(): boolean {
    return this.runner.busy;
  }

  /** Resolves when no reconcile is running or pending (tests, benchmarks). */
  idle(): Promise<void> {
    return this.runner.idle();
  }

  /**
   * Stops the schedule, then gives the running reconcile most of the grace period to
   * finish; after that its signal is aborted so apply stops before the manifest write
   * (the commit point), and the rest of the grace period is left for it to unwind.
   */
  async stop(): Promise<StopOutcome> {
    this.stopping = true;
    this.scheduler.stop();
    this.runner.close();
    if (!this.runner.busy) return 'idle';
    // Leave time to unwind after the abort (in-flight writes finish, the manifest records
    // them): 30% of the grace, at least half a second when the grace allows, at most 5 s.
    const unwindMs = Math.min(5000, Math.max(this.graceMs * 0.3, Math.min(1000, this.graceMs * 0.5)));
    const finishWindow = Math.floor(this.graceMs - unwindMs);
    this.log.info({ graceMs: this.graceMs }, 'shutting down: waiting for the current reconcile');
    if (await this.waitIdle(finishWindow)) return 'finished';
    this.log.warn('grace period running out: abandoning the current reconcile step');
    this.abort.abort(new Error('controller shutting down'));
    if (await this.waitIdle(this.graceMs - finishWindow)) return 'abandoned';
    this.log.error('the current reconcile did not stop within the grace period');
    return 'timed-out';
  }

  private async waitIdle(ms: number): Promise<boolean> {
    const timer = new AbortController();
    const timeout = this.clock.sleep(ms, timer.signal).then(
      () => false,
      (err: unknown) => {
        // The sleep ends early only because we abort it (once idle); anything else is a bug.
        if (timer.signal.aborted) return false;
        throw err;
      },
    );
    const idle = this.runner.idle().then(() => true);
    const done = await Promise.race([idle, timeout]);
    timer.abort();
    return done;
  }
}
