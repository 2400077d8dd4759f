import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import type { ObservedObject } from '../plan/types.js';
import { readObject } from './apply-file-ops.js';
import type { DagStore } from './dag-store.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Reads back the keys an interrupted apply announced (one GET each, only after a crash):
 * their content hash and version, or null when missing. The planner decides from these
 * whether that apply's change happened and whose content is there now.
 */
export async function observePending(store: DagStore, keys: string[]): Promise<Map<string, ObservedObject>> {
  const limit = pLimit(8);
  const seen = await Promise.all(
    [...new Set(keys)].map((key) =>
      limit(async () => {
        const there = await readObject(store, key);
        return [key, there && { sha256: sha256(there.content), version: there.version }] as const;
      }),
    ),
  );
  return new Map(seen);
}
