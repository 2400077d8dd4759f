import type { FileAction, PlannedFile, SyncPlan } from '../plan/types.js';
import type { DeployClaims } from './claims.js';

/** What happened to one planned change. */
export interface FileOutcome {
  key: string;
  dag_id: string | null;
  source: string | null;
  action: FileAction;
  /**
   * done = written / deleted / confirmed; conflict = an unowned file is in the way (not touched);
   * failed = could not be done in any attempt (the error says why); skipped = apply stopped first.
   */
  status: 'done' | 'conflict' | 'failed' | 'skipped';
  /** Version tag after the write, for done writes. */
  version?: string | null;
  error?: string;
  /** Failed, but certainly not made: our condition failed on another apply's content. */
  untouched?: boolean;
}

export interface ApplyResult {
  commit: string;
  /** Target location, as DagStore.location. */
  target: string;
  /** The plan of the last round (after re-plans caused by concurrent writers or retries). */
  plan: SyncPlan;
  /**
   * One per key this apply created, updated, repaired or deleted (or tried to), over all
   * rounds, sorted by key: a round that re-planned after its own manifest write went through
   * unseen does not hide what the first round did.
   */
  files: FileOutcome[];
  conflicts: FileOutcome[];
  failed: FileOutcome[];
  /** Owned DAGs left in place because their config is invalid. */
  kept: PlannedFile[];
  /** Rounds run (1 = no re-plan was needed). */
  attempts: number;
  /** Object writes and deletes done, over all rounds (manifest writes not counted). */
  writes: number;
  deletes: number;
  manifestWrites: number;
  /** Version of the manifest this apply left, or the base one when nothing was written. */
  manifestVersion: string | null;
  /** True when every planned change is done (no conflict, no failure). */
  ok: boolean;
}

export interface ApplyOptions extends DeployClaims {
  /** Parallel object writes/deletes (default 8). */
  concurrency?: number;
  allowMassDelete?: boolean;
  /** Take over unowned files at keys we want to write. */
  adopt?: boolean;
  onProgress?: (done: number, total: number, key: string) => void;
  /** Stops starting new writes; what was written is still recorded in the manifest. */
  signal?: AbortSignal;
  /** Whole-apply rounds (re-read, re-plan, retry) before giving up (default 6). */
  maxAttempts?: number;
  /** Manifest `generator` field (default `backtest-gitops <version>`). */
  generator?: string;
  /** Wait between rounds; injectable so tests do not sleep. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * The desired files' render digest, stored with the manifest when the apply leaves the
   * target exactly as rendered with nothing pending; `stored` = the target's digest as read
   * before planning (`undefined` = not read; then an apply with nothing to change writes none).
   */
  digest?: { value: string; stored?: string | null };
}
