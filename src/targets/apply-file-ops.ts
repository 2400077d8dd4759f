import { createHash } from 'node:crypto';
import type { DesiredFile, PlannedFile } from '../plan/types.js';
import { TargetError } from '../shared/errors.js';
import type { FileOutcome } from './apply-result.js';
import type { DagStore, PutCondition } from './dag-store.js';

/**
 * One file's write or delete inside an apply round, including what to do when the store's
 * condition fails: read the object back and decide by content hash whether it is ours.
 */

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export async function writeOne(
  f: PlannedFile,
  desired: Map<string, DesiredFile>,
  store: DagStore,
  isOwned: boolean,
  adopt: boolean,
  commit: string,
  counters: { writes: number },
): Promise<FileOutcome> {
  const d = desired.get(f.key);
  if (!d) throw new Error(`apply: no desired content for ${f.key}`);
  const put = async (condition: PutCondition) => {
    counters.writes++;
    return store.put(d.key, d.content, { sha256: d.sha256, source: d.source, commit }, condition);
  };
  const condition: PutCondition =
    f.action === 'create' ? { mode: 'create' } : { mode: 'replace', etag: f.expectedVersion ?? null };
  try {
    return outcome(f, 'done', { version: await put(condition) });
  } catch (err) {
    if (!(err instanceof TargetError) || (err.code !== 'unowned-conflict' && err.code !== 'drift')) throw err;
  }
  // The condition failed: look at what is there before deciding whose it is.
  const there = await readObject(store, f.key);
  if (there === null) return outcome(f, 'done', { version: await put({ mode: 'create' }) });
  const thereSha = sha256(there.content);
  if (thereSha === d.sha256) return outcome(f, 'done', { version: there.version }); // our content already
  const ours = isOwned || (f.pendingSha256 ?? []).includes(thereSha);
  if (!ours && !adopt) {
    return outcome(f, 'conflict', {
      error: `${store.location}/${f.key} exists and is not owned by backtest-gitops; not overwritten (use --adopt to take it over)`,
    });
  }
  return outcome(f, 'done', { version: await put({ mode: 'replace', etag: there.version }) });
}

export async function deleteOne(
  f: PlannedFile,
  store: DagStore,
  counters: { deletes: number },
): Promise<FileOutcome> {
  if (f.pendingSha256) {
    // Only known from an interrupted apply's announcement: delete it only if it is what that apply wrote.
    const there = await readObject(store, f.key);
    if (there === null || !f.pendingSha256.includes(sha256(there.content))) return outcome(f, 'done');
  }
  counters.deletes++;
  await store.delete(f.key);
  return outcome(f, 'done');
}

async function readObject(
  store: DagStore,
  key: string,
): Promise<{ content: string; version: string } | null> {
  if (store.read) return store.read(key);
  const content = await store.get(key);
  if (content === null) return null;
  const version = (await store.stat([key])).get(key);
  return version === undefined ? null : { content, version };
}

export function outcome(
  f: PlannedFile,
  status: FileOutcome['status'],
  extra: Partial<FileOutcome> = {},
): FileOutcome {
  return { key: f.key, dag_id: f.dag_id, source: f.source, action: f.action, status, ...extra };
}
