import { describe, expect, it } from 'vitest';
import { initialStatus, readiness } from './status.js';

describe('readiness', () => {
  const minute = 60_000;
  it('is not ready before the first reconcile', () => {
    expect(readiness(initialStatus(), 0, minute)).toEqual({
      ready: false,
      reasons: ['no reconcile has finished yet'],
    });
  });
  it('is ready after a recent reconcile with a reachable repo', () => {
    const s = { ...initialStatus(), lastReconcileAt: 1000, repoReachable: true };
    expect(readiness(s, 1000 + 3 * minute - 1, minute).ready).toBe(true);
  });
  it('is not ready when the last reconcile is three intervals old', () => {
    const s = { ...initialStatus(), lastReconcileAt: 0, repoReachable: true };
    expect(readiness(s, 3 * minute, minute)).toEqual({
      ready: false,
      reasons: ['last reconcile finished 180 s ago (limit 180 s)'],
    });
  });
  it('is not ready when the config repository was unreachable', () => {
    const s = { ...initialStatus(), lastReconcileAt: 0, repoReachable: false };
    expect(readiness(s, 1, minute).reasons).toEqual(['config repository unreachable at last fetch']);
  });
});
