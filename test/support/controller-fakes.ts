import type {
  Clock,
  ConfigRepoPort,
  DeployPort,
  DeployReportPort,
  DeployRequest,
  DeployResult,
  ImportCheckPort,
  PullRequestPort,
  Scheduler,
} from '../../src/controller/ports.js';
import type { DeployReport } from '../../src/mwaa/deploy-report.js';
import { createLogger, type Logger } from '../../src/shared/logger.js';

/**
 * In-memory stand-ins for the controller's own ports, a controllable clock and scheduler.
 * Used by the controller's tests only; kept under test/ so it never reaches dist/ or the image.
 * Nothing here touches I/O.
 */

/** A clock whose timers fire only when the test advances time (or at once, with `autoAdvance`). */
export class ManualClock implements Clock {
  private timers: { at: number; resolve: () => void }[] = [];
  readonly sleeps: number[] = [];
  constructor(
    public time = 1_700_000_000_000,
    private readonly autoAdvance = false,
  ) {}

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (this.autoAdvance) {
      this.time += ms;
      return signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = { at: this.time + ms, resolve };
      this.timers.push(timer);
      signal?.addEventListener('abort', () => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(signal.reason);
      });
    });
  }

  /** Moves time forward and fires due timers, letting promise chains run in between. */
  async advance(ms: number): Promise<void> {
    this.time += ms;
    const due = this.timers.filter((t) => t.at <= this.time);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const t of due) t.resolve();
    await flush();
  }
}

/** Lets pending promise callbacks run (a few macrotask turns). */
export async function flush(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

export class ManualScheduler implements Scheduler {
  private tickFn: (() => void) | null = null;
  started = false;
  start(tick: () => void): void {
    this.tickFn = tick;
    this.started = true;
  }
  stop(): void {
    this.tickFn = null;
    this.started = false;
  }
  tick(): void {
    this.tickFn?.();
  }
}

/** A promise the test resolves by hand, to hold a step "in flight". */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

export function emptyReport(commit: string, target = 'memory://dags'): DeployReport {
  return {
    commit,
    target,
    environment: null,
    airflow_version: null,
    dags: [],
    kept_invalid: [],
    ok: true,
    summary: 'ok',
  };
}

export class FakeRepo implements ConfigRepoPort {
  head = 'c1';
  failures = 0;
  fetches = 0;
  async fetchHead(): Promise<string> {
    this.fetches++;
    if (this.failures > 0) {
      this.failures--;
      throw new Error('remote unreachable');
    }
    return this.head;
  }
}

/** Records deploy requests; `hold` makes deploys wait on a gate; `failures` makes the next N throw. */
export class FakeDeployer implements DeployPort {
  requests: DeployRequest[] = [];
  running = 0;
  maxConcurrent = 0;
  failures = 0;
  failWith: (() => Error) | null = null;
  hold: Promise<void> | null = null;
  result: Partial<DeployResult> = {};
  async deploy(request: DeployRequest, ctx: { signal: AbortSignal }): Promise<DeployResult> {
    this.requests.push(request);
    this.running++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.running);
    try {
      if (this.hold) {
        const aborted = new Promise<never>((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }),
        );
        await Promise.race([this.hold, aborted]);
      }
      if (this.failures > 0) {
        this.failures--;
        throw this.failWith?.() ?? new Error('S3 said 500');
      }
      return {
        commit: request.commit,
        applied: !request.dryRun,
        operations: { create: 2, update: 1, delete: 0, repair: 0 },
        dagsManaged: 3,
        driftDetected: 0,
        report: emptyReport(request.commit),
        ...this.result,
      };
    } finally {
      this.running--;
    }
  }
}

export class FakePullRequests implements PullRequestPort {
  calls = 0;
  failures = 0;
  async validateOpenPullRequests(): Promise<{ validated: number }> {
    this.calls++;
    if (this.failures > 0) {
      this.failures--;
      throw new Error('GitHub said 502');
    }
    return { validated: 1 };
  }
}

export class FakeImportCheck implements ImportCheckPort {
  calls = 0;
  importErrors = 0;
  async verify(report: DeployReport): Promise<DeployReport> {
    this.calls++;
    const dags = Array.from({ length: this.importErrors }, (_, i) => ({
      dag_id: `broken_${i}`,
      source: null,
      action: 'create' as const,
      imported: false,
      import_error: 'SyntaxError',
      unpaused: null,
      triggered: null,
    }));
    return { ...report, dags, ok: report.ok && this.importErrors === 0 };
  }
}

export class FakeDeployReporter implements DeployReportPort {
  reports: DeployReport[] = [];
  async report(report: DeployReport): Promise<void> {
    this.reports.push(report);
  }
}

/** A logger writing JSON lines into an array. */
export function memoryLogger(secrets: string[] = []): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', secrets, destination: { write: (l: string) => lines.push(l) } });
  return { log, lines };
}
