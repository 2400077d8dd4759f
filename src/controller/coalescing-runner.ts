/** Reasons kept for the follow-up run's log line; more requests are only counted. */
export const MAX_REASONS = 20;

/**
 * Runs one job at a time. A request while a run is in progress schedules exactly one
 * follow-up run, however many requests arrive (they all want "a reconcile after now", and
 * one covers them all). The reasons of coalesced requests are merged for the log.
 */
export class CoalescingRunner {
  private running: Promise<void> | null = null;
  private pending: Set<string> | null = null;
  /** Reasons of coalesced requests past MAX_REASONS: counted, not kept. */
  private dropped = 0;
  private closed = false;

  constructor(
    private readonly job: (reasons: string[]) => Promise<void>,
    /** Told about a job that threw (a bug: the job reports its own failures); later runs still happen. */
    private readonly onUnexpectedError: (err: unknown) => void,
  ) {}

  /** Asks for a run; returns false when the runner is closed (shutting down). */
  request(reason: string): boolean {
    if (this.closed) return false;
    if (this.running) {
      this.pending ??= new Set();
      // Bounded, whatever a flood of requests: the follow-up run is one run either way.
      if (this.pending.size < MAX_REASONS || this.pending.has(reason)) this.pending.add(reason);
      else this.dropped += 1;
      return true;
    }
    this.running = this.loop([reason]);
    return true;
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /** Resolves when no run is in progress and none is pending. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops accepting requests and drops the pending follow-up; the current run continues. */
  close(): void {
    this.closed = true;
    this.pending = null;
  }

  private async loop(first: string[]): Promise<void> {
    let reasons: string[] | null = first;
    try {
      while (reasons) {
        try {
          await this.job(reasons);
        } catch (err) {
          // catch-all: the job reports its own failures; a throw here is a bug, said once, and must not stop later runs.
          this.onUnexpectedError(err);
        }
        reasons = this.pending && !this.closed ? [...this.pending] : null;
        if (reasons && this.dropped > 0) reasons.push(`+${this.dropped} more`);
        this.pending = null;
        this.dropped = 0;
      }
    } finally {
      this.running = null;
    }
  }
}
