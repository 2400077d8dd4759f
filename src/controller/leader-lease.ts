import { hostname } from 'node:os';
import { TargetError } from '../shared/errors.js';
import type { DagStore } from '../targets/dag-store.js';

/** Where the lease lives in the target, beside the manifest. */
export const LEASE_KEY = '.backtest-gitops/leader.json';

export interface LeaseState {
  holder: string;
  /** Epoch milliseconds after which another replica may take the lease. */
  expires_at: number;
}

export interface LeaderLeaseOptions {
  openStore: () => Promise<DagStore>;
  /** This replica's name in the lease (default: host name, pid and a random suffix). */
  id?: string;
  leaseMs: number;
  now?: () => number;
}

/**
 * Only one replica acts: a lease object in the target, taken and renewed with conditional
 * writes (If-None-Match when absent, If-Match on the version read when it is ours or has
 * expired), so two replicas racing for it cannot both win. A replica that does not hold the
 * lease skips the reconcile (no deploy, no GitHub write); when the holder stops renewing
 * (killed, partitioned), the lease expires and another replica takes over at its next poll.
 * A holder paused past its lease may act once more alongside the new one; the manifest's
 * conditional writes and ordered deploys keep that safe.
 */
export class LeaderLease {
  readonly id: string;
  private readonly now: () => number;

  constructor(private readonly opts: LeaderLeaseOptions) {
    this.id = opts.id ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.now = opts.now ?? Date.now;
  }

  /** Gives the lease up if it is still ours (a clean stop), so the next replica need not wait for it to expire. */
  async release(): Promise<void> {
    await releaseLease(this, await this.opts.openStore());
  }

  /** Takes or renews the lease; returns who holds it now (this replica when `leader`). */
  async acquire(): Promise<{ leader: boolean; holder: string; expiresAt: number }> {
    const store = await this.opts.openStore();
    const there = store.read ? await store.read(LEASE_KEY) : null;
    const now = this.now();
    const current = there ? parseLease(there.content) : null;
    if (there && current && current.holder !== this.id && current.expires_at > now) {
      return { leader: false, holder: current.holder, expiresAt: current.expires_at };
    }
    // Ours with more than half of it left: no write (an idle poll costs one GET here).
    if (current?.holder === this.id && current.expires_at - now > this.opts.leaseMs / 2) {
      return { leader: true, holder: this.id, expiresAt: current.expires_at };
    }
    const next: LeaseState = { holder: this.id, expires_at: now + this.opts.leaseMs };
    const body = `${JSON.stringify(next)}\n`;
    try {
      await store.put(
        LEASE_KEY,
        body,
        { sha256: '', source: null, commit: '' },
        there ? { mode: 'replace', etag: there.version } : { mode: 'create' },
      );
      return { leader: true, holder: this.id, expiresAt: next.expires_at };
    } catch (err) {
      // Another replica wrote it between our read and our write: it won this round.
      if (err instanceof TargetError && (err.code === 'drift' || err.code === 'unowned-conflict')) {
        const winner = store.read ? await store.read(LEASE_KEY) : null;
        const state = winner ? parseLease(winner.content) : null;
        return {
          leader: false,
          holder: state?.holder ?? 'another replica',
          expiresAt: state?.expires_at ?? 0,
        };
      }
      throw err;
    }
  }
}

/** Gives the lease up (on a clean stop), if it is still ours, so a restarted replica need not wait for it to expire. */
export async function releaseLease(lease: LeaderLease, store: DagStore): Promise<void> {
  const there = store.read ? await store.read(LEASE_KEY) : null;
  if (there && parseLease(there.content)?.holder === lease.id) await store.delete(LEASE_KEY, there.version);
}

function parseLease(text: string): LeaseState | null {
  try {
    // Any JSON value may be there (null, a number): only a lease-shaped object counts.
    const v = JSON.parse(text) as Partial<LeaseState> | null;
    return typeof v?.holder === 'string' && typeof v.expires_at === 'number'
      ? { holder: v.holder, expires_at: v.expires_at }
      : null;
  } catch (err) {
    // Not JSON (a torn or foreign write): no lease, so the next write takes it over.
    if (!(err instanceof SyntaxError)) throw err;
    return null;
  }
}
