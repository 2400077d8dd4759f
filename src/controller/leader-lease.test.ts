import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalDirDagStore } from '../targets/local-dir-dag-store.js';
import { LEASE_KEY, LeaderLease } from './leader-lease.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'btg-lease-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('LeaderLease', () => {
  it('one holder at a time; another takes over only once it expired or was released', async () => {
    let now = 1_000_000;
    const store = new LocalDirDagStore(dir);
    const lease = (id: string) =>
      new LeaderLease({ openStore: async () => store, id, leaseMs: 10_000, now: () => now });
    const a = lease('a');
    const b = lease('b');
    const [ra, rb] = await Promise.all([a.acquire(), b.acquire()]);
    // Racing for an absent lease: exactly one create wins.
    expect([ra.leader, rb.leader].filter(Boolean)).toHaveLength(1);
    const [holder, other] = ra.leader ? [a, b] : [b, a];
    now += 9_000;
    expect((await other.acquire()).leader).toBe(false);
    expect((await holder.acquire()).leader).toBe(true); // renewed: expires at now + 10 s
    now += 9_000;
    expect(await other.acquire()).toMatchObject({ leader: false, holder: holder.id });
    now += 2_000; // not renewed for 11 s
    expect((await other.acquire()).leader).toBe(true);
    expect((await holder.acquire()).leader).toBe(false);
    await other.release();
    expect((await holder.acquire()).leader).toBe(true);
  });

  it('takes over a lease file that is not a lease: torn text, JSON null, another shape', async () => {
    for (const text of ['{"holder": "a", "expi', 'null', '42', '{"holder": 7}']) {
      const store = new LocalDirDagStore(await mkdtemp(join(dir, 'case-')));
      await store.put(LEASE_KEY, text, { sha256: '', source: null, commit: '' }, { mode: 'create' });
      const lease = new LeaderLease({ openStore: async () => store, id: 'b', leaseMs: 10_000, now: () => 1 });
      expect(await lease.acquire(), text).toMatchObject({ leader: true, holder: 'b' });
    }
  });
});
