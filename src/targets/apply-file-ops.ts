import { createHash } from 'node:crypto';
import type { DesiredFile, Manifest, PlannedFile } from '../plan/types.js';
import { TargetError } from '../shared/errors.js';
import type { FileOutcome } from './apply-result.js';
import type { DagStore, PutCondition, StoredObject } from './dag-store.js';

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
  committed: CommittedManifest = new CommittedManifest(store),
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
  const other = await otherApply(committed, f, there, thereSha, 'overwritten');
  if (other) return other;
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
  committed: CommittedManifest = new CommittedManifest(store),
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
    const other = await otherApply(committed, f, there, thereSha, 'deleted');
    if (other) return other;
    return outcome(f, 'conflict', { error: notOursMessage(store, f, thereSha, 'deleted') });
  }
  counters.deletes++;
  await store.delete(f.key, there.version);
  return outcome(f, 'done');
}

/**
 * A conflict the planner saw (a pending key read back holding content neither the root we
 * planned from nor its announcements name), checked again before it is reported: another
 * apply may have written it (see otherApply), or the key changed since it was read.
 */
export async function plannedConflict(
  f: PlannedFile,
  store: DagStore,
  committed: CommittedManifest = new CommittedManifest(store),
): Promise<FileOutcome> {
  const where = `${store.location}/${f.key}`;
  const there = await readObject(store, f.key);
  const thereSha = there && sha256(there.content);
  if (there && thereSha) {
    const other = await otherApply(committed, f, there, thereSha, 'touched');
    if (other) return other;
  }
  if (thereSha !== (f.found?.sha256 ?? null)) {
    return outcome(f, 'failed', {
      untouched: true,
      error: `${where} changed while this apply planned it; not touched: re-run apply`,
    });
  }
  return outcome(f, 'conflict', { error: `${where} ${f.reason ?? 'is not ours'}` });
}

/**
 * Content our plan did not count as ours may still be owned: our plan was made from an older
 * root, and another apply may have announced (then written) the key since, or announced it
 * before we read the key back as missing. Calling that "not owned" or "changed behind our
 * back" would be false. So: if the manifest committed now names this content for the key
 * (entry or pending), or the object says backtest-gitops wrote it (our put records its
 * sha256) while no root names it (another apply's announcement was resolved by a third
 * apply's record before it recorded its write, or an apply was stopped before recording
 * it), the outcome is failed, not a conflict: apply re-reads the manifest and re-plans the
 * key, as on a manifest conflict. Only if that never settles is its message reported.
 */
async function otherApply(
  committed: CommittedManifest,
  f: PlannedFile,
  there: { deployedSha256?: string },
  thereSha: string,
  verb: string,
): Promise<FileOutcome | null> {
  const where = `${committed.store.location}/${f.key}`;
  const now = await committed.read();
  const named =
    now !== undefined &&
    (now.entries.some((e) => e.key === f.key && e.sha256 === thereSha) ||
      (now.pending ?? []).some((p) => p.key === f.key && p.sha256 === thereSha));
  const base = { untouched: true };
  if (named) {
    return outcome(f, 'failed', {
      ...base,
      error:
        `another apply is writing ${where} right now (it holds sha256 ${thereSha.slice(0, 12)}, which the ` +
        `manifest names); not ${verb}: re-run apply once the other apply has finished`,
    });
  }
  if (there.deployedSha256 === thereSha) {
    return outcome(f, 'failed', {
      ...base,
      error:
        `${where} holds a file backtest-gitops wrote (sha256 ${thereSha.slice(0, 12)}) that the manifest does ` +
        `not name: another apply is writing it right now, or one was stopped before recording it; not ${verb}: ` +
        're-run apply; if no other apply is running and this persists, re-run with --adopt to take it over',
    });
  }
  return null;
}

/**
 * The committed manifest as the conflict checks of one apply round see it. Each check must see
 * the root as it is after the check's own read of the object (an announcement the object's
 * writer made before writing it must not be missed), so every check asks the store again; but
 * when the root's version (its ETag: content-addressed) is the one read last, the manifest read
 * then is the committed one, and a HEAD (no body, nothing to parse) stands in for reading the
 * root and its shards again. A bucket full of unowned files then costs one HEAD per conflict
 * after the first, not a whole manifest read each. A store without HEAD reads every time.
 */
export class CommittedManifest {
  private last: { version: string; manifest: Manifest } | null = null;
  private reading: Promise<unknown> | null = null;

  constructor(readonly store: DagStore) {}

  async read(): Promise<Manifest | undefined> {
    // A whole read under way started before this check's object read, so its answer may
    // predate what this check must see; wait for it all the same (the conflicts of a round
    // come in bursts), then check its version with a HEAD made now.
    // catch-all: the check that started that read gets its error; this one reads on its own below.
    if (this.reading) await this.reading.catch(() => undefined);
    if (this.last && this.store.headManifest) {
      const head = await this.store.headManifest();
      if (head !== null && head.version === this.last.version) return this.last.manifest;
    }
    const reading = this.store.readManifest();
    this.reading = reading;
    try {
      const got = await reading;
      this.last = got ? { version: got.version, manifest: got.manifest } : null;
      return got?.manifest;
    } finally {
      if (this.reading === reading) this.reading = null;
    }
  }
}

function notOursMessage(store: DagStore, f: PlannedFile, thereSha: string, verb: string): string {
  const where = `${store.location}/${f.key}`;
  return f.action === 'create'
    ? `${where} exists and is not owned by backtest-gitops; not ${verb} (use --adopt to take it over)`
    : `${where} was changed behind our back (it holds sha256 ${thereSha.slice(0, 12)}, not what we deployed); not ${verb}: ` +
        'restore or remove it by hand, or run apply --check-drift to overwrite it';
}

export async function readObject(store: DagStore, key: string): Promise<StoredObject | null> {
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
