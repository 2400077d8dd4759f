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
  // Nothing there (a new key, or one found missing): If-None-Match. Else If-Match on the version we expect.
  const mustBeAbsent =
    f.found === null ||
    (f.action === 'create' && f.expectedVersion === undefined) ||
    (f.action === 'repair' && f.expectedVersion === null);
  const condition: PutCondition = mustBeAbsent
    ? { mode: 'create' }
    : { mode: 'replace', etag: f.expectedVersion ?? null };
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
  if ((f.oursSha256 ?? []).includes(thereSha) || adopt) {
    return outcome(f, 'done', { version: await put({ mode: 'replace', etag: there.version }) });
  }
  return outcome(f, 'conflict', { error: notOursMessage(store, f, thereSha, 'overwritten') });
}

/**
 * Deletes an owned object only if it still holds what we recorded (If-Match on its version,
 * or our own content read back); somebody's change is a conflict, and stays.
 */
export async function deleteOne(
  f: PlannedFile,
  store: DagStore,
  counters: { deletes: number },
): Promise<FileOutcome> {
  if (f.found === null) return outcome(f, 'done'); // read back as missing before planning
  counters.deletes++;
  try {
    await store.delete(f.key, f.expectedVersion ?? null);
    return outcome(f, 'done');
  } catch (err) {
    if (!(err instanceof TargetError) || err.code !== 'drift') throw err;
  }
  const there = await readObject(store, f.key);
  if (there === null) return outcome(f, 'done');
  const thereSha = sha256(there.content);
  if (!(f.oursSha256 ?? []).includes(thereSha)) {
    return outcome(f, 'conflict', { error: notOursMessage(store, f, thereSha, 'deleted') });
  }
  counters.deletes++;
  await store.delete(f.key, there.version);
  return outcome(f, 'done');
}

function notOursMessage(store: DagStore, f: PlannedFile, thereSha: string, verb: string): string {
  const where = `${store.location}/${f.key}`;
  return f.action === 'create'
    ? `${where} exists and is not owned by backtest-gitops; not ${verb} (use --adopt to take it over)`
    : `${where} was changed behind our back (it holds sha256 ${thereSha.slice(0, 12)}, not what we deployed); not ${verb}: ` +
        'restore or remove it by hand, or run apply --check-drift to overwrite it';
}

export async function readObject(
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
