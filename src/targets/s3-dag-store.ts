import { gunzipSync, gzipSync } from 'node:zlib';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { MANIFEST_KEY, manifestEntryFor } from '../plan/manifest.js';
import {
  assembleManifest,
  bucketByShard,
  chooseShardCount,
  isGarbageShard,
  keySetHash,
  layoutManifest,
  type ManifestRoot,
  parseManifestDocument,
  parseShard,
  SHARD_PREFIX,
  serializeRoot,
  shardGeneration,
  shardKey,
  shardNameOf,
} from '../plan/manifest-shards.js';
import type { DesiredFile, Manifest, ManifestEntry } from '../plan/types.js';
import { ManifestConflictError, TargetError } from '../shared/errors.js';
import type { DagStore, ManifestReadHint, PutCondition, PutMeta, StoredObject } from './dag-store.js';
import { isNotFound, isPreconditionFailed, translateS3Error } from './s3-errors.js';

export interface S3DagStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix, with or without slashes (`dags`, `dags/`); empty = bucket root. */
  prefix: string;
  /** KMS key for SSE-KMS on every object we write; absent = the bucket's default encryption. */
  sseKmsKeyId?: string;
  /** Parallel HEADs for drift checks (default 16). */
  concurrency?: number;
  /** Endpoint shown in connection errors. */
  endpoint?: string;
  /**
   * How a delete is made conditional on the recorded ETag: `if-match` sends DeleteObject with
   * If-Match (AWS S3); `read-back` HEADs the object first and compares, for stores that ignore
   * If-Match on DeleteObject (moto, some S3-compatible servers), and still sends If-Match.
   * Default: `if-match` on AWS, `read-back` with a custom endpoint.
   */
  conditionalDelete?: 'if-match' | 'read-back';
}

/**
 * DAG files under an S3 prefix (MWAA's DAG folder). Reads and writes touch only keys we name,
 * so objects we do not own are never read; only a drift check lists the prefix (names and
 * ETags). Ownership checks ride on the writes themselves (If-None-Match / If-Match).
 */
export class S3DagStore implements DagStore {
  readonly location: string;
  private readonly prefix: string;
  /** Roots by version (last KEPT_ROOTS): what the next conditional write replaces; null = single-file manifest. */
  private readonly roots = new Map<string, ManifestRoot | null>();
  /** Shard entries by shard name (immutable), only for shards the remembered roots name. */
  private readonly shards = new Map<string, ManifestEntry[]>();
  /** The last root read or written: a root that was committed, the reference for garbage. */
  private lastRoot: ManifestRoot | null = null;
  /** Set when shards may have been left unnamed (a lost race, a crashed writer): sweep after the next write. */
  private sweepDue = false;
  /** Garbage shards a LIST has shown (a drift check), deleted by collectGarbage. */
  private readonly garbage = new Set<string>();
  /**
   * Entries this store made up from the desired render for shards it did not download (their
   * recorded key hash matched the render), by object identity: which shard each stands in
   * for, so a write keeps that shard by name when its entries are exactly these, and
   * downloads it when it must rewrite it.
   */
  private readonly standIns = new WeakMap<ManifestEntry, StandInOrigin>();

  constructor(private readonly opts: S3DagStoreOptions) {
    this.prefix = opts.prefix.replace(/^\/+|\/+$/g, '');
    this.location = `s3://${opts.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  /**
   * Reads the root and the shards it names (src/plan/manifest-shards.ts). Shards are immutable,
   * so one this store read or wrote before is taken from memory: a long-running controller
   * downloads only the root and the shards another writer changed. A single-file manifest
   * (written before sharding) is read as it is; the next write replaces it by a root.
   *
   * With `hint.desired`, a shard not in memory whose recorded key hash equals the hash of the
   * desired files that fall in it is not downloaded: its entries are exactly those keys with
   * that content, so they plan as unchanged, and the manifest lists stand-ins built from the
   * desired files (their ETag unknown). A write keeps such a shard by name and downloads it
   * only when it must rewrite it. Every shard that is downloaded, now or then, must match its
   * recorded key hash, else the manifest is corrupt.
   *
   * Why a forged key hash cannot make apply lose or harm anything: it can only make a shard
   * count as "exactly the desired keys and content" when it is not, so its keys plan as
   * unchanged, i.e. no request at all. No object is deleted or overwritten because of it
   * (stand-ins are never deleted, and a key the real shard owns but the render lacks is
   * simply not deleted), and the stand-ins are never written into a shard: the shard keeps
   * its name, or is downloaded, checked against the hash and refused as corrupt. What it can
   * hide is a change the target should get (a stale or missing file planned as unchanged),
   * which is exactly what a drift check finds: a drift check reads every shard (the hint is
   * not given) and the mismatch is reported as manifest-corrupt. Forging the root needs write
   * access to the bucket, which could delete the DAGs outright anyway. A root with anything
   * pending (an interrupted apply) is always read whole: its pending keys are read back.
   */
  async readManifest(
    hint?: ManifestReadHint,
  ): Promise<{ manifest: Manifest; version: string; digest?: string } | null> {
    let previous: string | null = null;
    for (;;) {
      const got = await this.readObject(MANIFEST_KEY);
      if (got === null) return null;
      const doc = parseManifestDocument(got.content);
      if ('problem' in doc) throw this.corrupt(doc.problem);
      const digest = digestOf(got.metadata);
      const found = (manifest: Manifest) => ({
        manifest,
        version: got.version,
        ...(digest ? { digest } : {}),
      });
      if ('manifest' in doc) {
        this.remember(got.version, null);
        return found(doc.manifest);
      }
      const skip = (doc.root.pending?.length ?? 0) === 0 ? hint?.desired : undefined;
      const shards = await this.readShards(doc.root, skip ?? null);
      if (shards === 'missing') {
        // A writer replaced the root (and removed its old shards) while we read: read it again.
        // The same root twice with a shard missing is damage, not a race.
        if (previous === got.version) throw this.corrupt('naming a shard that does not exist');
        previous = got.version;
        continue;
      }
      const assembled = assembleManifest(doc.root, shards);
      if ('problem' in assembled) throw this.corrupt(assembled.problem);
      this.remember(got.version, doc.root);
      // A crashed or interrupted writer may have left shards no root names: sweep after our next write.
      if ((doc.root.pending?.length ?? 0) > 0) this.sweepDue = true;
      return found(assembled.manifest);
    }
  }

  async headManifest(): Promise<{ version: string; digest: string | null } | null> {
    const key = this.objectKey(MANIFEST_KEY);
    try {
      const out = await this.opts.client.send(new HeadObjectCommand({ Bucket: this.opts.bucket, Key: key }));
      return { version: out.ETag ?? '', digest: digestOf(out.Metadata) };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw this.fail(err, key, 's3:GetObject');
    }
  }

  /**
   * Writes the shards that changed (new names, nothing else refers to them yet), then the root,
   * conditional on `expectedVersion`: the root's write is the one commit point, so a crash or
   * a lost race leaves at most unnamed shards, never a root naming a missing one. After the
   * commit the shards only the replaced root named are deleted (no later root can name them).
   * This rests on the conditional PUT being atomic (AWS S3): of writers holding the same
   * `expectedVersion` exactly one succeeds. A store that checks and then writes could answer
   * 200 to two of them; each would delete the shards only `expectedVersion` named, including
   * shards the surviving root still names (test/support/moto_server.py makes moto atomic).
   */
  async writeManifest(
    manifest: Manifest,
    expectedVersion: string | null,
    digest: string | null = null,
  ): Promise<string> {
    const key = this.objectKey(MANIFEST_KEY);
    const base = expectedVersion === null ? null : await this.rootAt(expectedVersion);
    const resolved = await this.resolveStandIns(manifest, base);
    const generation = base?.generation ?? (await this.highestShardGeneration());
    const { root, writes } = layoutManifest(resolved.manifest, base, generation, resolved.unread);
    const limit = pLimit(this.opts.concurrency ?? 16);
    // The digest rides on the same PUT as object metadata: it can never describe another
    // version of the manifest, and a write with something pending carries none.
    const stored = digest !== null && (manifest.pending?.length ?? 0) === 0;
    let version: string;
    try {
      await Promise.all(writes.map((w) => limit(() => this.putShard(w.name, w.text))));
      const out = await this.opts.client.send(
        new PutObjectCommand({
          ...this.putBase(key, serializeRoot(root), 'application/json'),
          ...(stored ? { Metadata: { [DIGEST_META]: digest } } : {}),
          ...(expectedVersion === null ? { IfNoneMatch: '*' } : { IfMatch: expectedVersion }),
        }),
      );
      version = out.ETag ?? '';
    } catch (err) {
      // Shards written before the failure are named by no root: sweep after the next write.
      if (writes.length > 0) this.sweepDue = true;
      if (err instanceof TargetError) throw err; // a shard PUT, already translated
      // 404 on If-Match: somebody deleted the manifest since we read it; also a conflict.
      if (isPreconditionFailed(err) || (expectedVersion !== null && isNotFound(err))) {
        throw new ManifestConflictError(`${this.location}/${MANIFEST_KEY}`, err);
      }
      throw this.fail(err, key, 's3:PutObject');
    }
    for (const w of writes) this.shards.set(w.name, w.entries);
    this.remember(version, root);
    const replaced = (base?.shards ?? []).filter((n): n is string => n !== null && !root.shards.includes(n));
    await this.deleteShards(replaced);
    await this.collectGarbage();
    return version;
  }

  /**
   * Deletes shards no root can name any more (left by a crash between a shard write and the
   * root write, or by a writer that lost the race), judged against the last root this store
   * read or wrote: the ones a drift check's LIST noted, and, when this store has reason to
   * think there are more (it read an interrupted apply's announcement, or its own write
   * failed), the ones a LIST of the shard folder finds. Nothing to do costs no request.
   * Best effort: what is left is swept the next time.
   */
  async collectGarbage(): Promise<number> {
    const committed = this.lastRoot;
    if (!committed) return 0;
    // Noted by an earlier LIST against the root of that time: judged again against the root
    // committed now, so a shard a newer root names is never deleted, whatever happened between.
    const names = new Set([...this.garbage].filter((n) => isGarbageShard(n, committed)));
    this.garbage.clear();
    if (this.sweepDue) {
      this.sweepDue = false;
      try {
        for (const n of this.garbageAmong([...(await this.listEtags(SHARD_PREFIX)).keys()], committed))
          names.add(n);
      } catch (err) {
        if (!(err instanceof TargetError)) throw err;
        this.sweepDue = true; // e.g. no s3:ListBucket; try again after the next write
      }
    }
    return this.deleteShards([...names]);
  }

  async put(key: string, content: string, meta: PutMeta, condition: PutCondition): Promise<string | null> {
    const objectKey = this.objectKey(key);
    const input: PutObjectCommandInput = {
      ...this.putBase(objectKey, content, contentType(key)),
      // S3 metadata must be ASCII; source paths may not be.
      Metadata: { sha256: meta.sha256, commit: meta.commit, source: encodeURIComponent(meta.source ?? '') },
    };
    if (condition.mode === 'create') input.IfNoneMatch = '*';
    if (condition.mode === 'replace' && condition.etag !== null) input.IfMatch = condition.etag;
    try {
      return (await this.opts.client.send(new PutObjectCommand(input))).ETag ?? null;
    } catch (err) {
      const where = `${this.location}/${key}`;
      if (condition.mode === 'create' && isPreconditionFailed(err)) {
        throw new TargetError(`${where} exists and is not owned by backtest-gitops`, where, {
          code: 'unowned-conflict',
          hint: 'move or delete that object, or re-run apply with --adopt to take it over',
          cause: err,
        });
      }
      if (input.IfMatch && (isPreconditionFailed(err) || isNotFound(err))) {
        throw new TargetError(`${where} was changed or removed behind our back`, where, {
          code: 'drift',
          cause: err,
        });
      }
      throw this.fail(err, objectKey, 's3:PutObject');
    }
  }

  async delete(key: string, expectedVersion: string | null = null): Promise<void> {
    const objectKey = this.objectKey(key);
    const where = `${this.location}/${key}`;
    const drift = (cause?: unknown) =>
      new TargetError(`${where} was changed behind our back; not deleted`, where, { code: 'drift', cause });
    if (
      expectedVersion !== null &&
      (this.opts.conditionalDelete ?? (this.opts.endpoint ? 'read-back' : 'if-match')) === 'read-back'
    ) {
      const seen = (await this.stat([key])).get(key);
      if (seen === undefined) return;
      if (unquote(seen) !== unquote(expectedVersion)) throw drift();
    }
    try {
      await this.opts.client.send(
        new DeleteObjectCommand({
          Bucket: this.opts.bucket,
          Key: objectKey,
          ...(expectedVersion !== null ? { IfMatch: expectedVersion } : {}),
        }),
      );
    } catch (err) {
      if (isNotFound(err)) return;
      if (expectedVersion !== null && isPreconditionFailed(err)) throw drift(err);
      throw this.fail(err, objectKey, 's3:DeleteObject');
    }
  }

  async get(key: string): Promise<string | null> {
    return (await this.read(key))?.content ?? null;
  }

  async read(key: string): Promise<StoredObject | null> {
    const got = await this.readObject(key);
    if (!got) return null;
    const deployed = got.metadata?.sha256;
    return { content: got.content, version: got.version, ...(deployed ? { deployedSha256: deployed } : {}) };
  }

  private async readObject(
    key: string,
  ): Promise<{ content: string; version: string; metadata: Record<string, string> | undefined } | null> {
    const objectKey = this.objectKey(key);
    try {
      const out = await this.opts.client.send(
        new GetObjectCommand({ Bucket: this.opts.bucket, Key: objectKey }),
      );
      return {
        content: (await out.Body?.transformToString('utf-8')) ?? '',
        version: out.ETag ?? '',
        metadata: out.Metadata,
      };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw this.fail(err, objectKey, 's3:GetObject');
    }
  }

  /**
   * ETags of the requested keys. More than a few keys (a drift check) are read from
   * ListObjectsV2 pages under the prefix: one request per 1,000 objects, not a HEAD per key
   * (the LIST returns names and ETags only, never content). Without s3:ListBucket it falls
   * back to one HEAD per key.
   */
  async stat(keys: string[]): Promise<Map<string, string>> {
    if (keys.length > LIST_THRESHOLD) {
      const listed = await this.listEtags().catch((err: unknown) => {
        if (err instanceof TargetError && err.code === 'access-denied') return null;
        throw err;
      });
      if (listed) {
        // The LIST names our shards too: garbage among them is noted (a plan writes nothing)
        // and deleted by the next apply, at no extra LIST.
        if (this.lastRoot)
          for (const n of this.garbageAmong([...listed.keys()], this.lastRoot)) this.garbage.add(n);
        const out = new Map<string, string>();
        for (const key of keys) {
          const etag = listed.get(key);
          if (etag !== undefined) out.set(key, etag);
        }
        return out;
      }
    }
    return this.headEtags(keys);
  }

  /** Every object under the prefix (and `under` it), key (relative to the prefix) → ETag. */
  private async listEtags(under = ''): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const root = this.prefix ? `${this.prefix}/` : '';
    const prefix = `${root}${under}`;
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.opts.client.send(
          new ListObjectsV2Command({
            Bucket: this.opts.bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
      } catch (err) {
        throw this.fail(err, prefix, 's3:ListBucket');
      }
      for (const o of page.Contents ?? []) {
        if (o.Key && o.ETag) out.set(o.Key.slice(root.length), o.ETag);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  private async headEtags(keys: string[]): Promise<Map<string, string>> {
    const limit = pLimit(this.opts.concurrency ?? 16);
    const out = new Map<string, string>();
    await Promise.all(
      keys.map((key) =>
        limit(async () => {
          const objectKey = this.objectKey(key);
          try {
            const head = await this.opts.client.send(
              new HeadObjectCommand({ Bucket: this.opts.bucket, Key: objectKey }),
            );
            if (head.ETag) out.set(key, head.ETag);
          } catch (err) {
            if (!isNotFound(err)) throw this.fail(err, objectKey, 's3:GetObject');
          }
        }),
      ),
    );
    return out;
  }

  /** The root at `version`: remembered from our own read or write, else read (one GET). */
  private async rootAt(version: string): Promise<ManifestRoot | null> {
    const known = this.roots.get(version);
    if (known !== undefined) return known;
    const got = await this.readObject(MANIFEST_KEY);
    if (got === null || got.version !== version)
      throw new ManifestConflictError(`${this.location}/${MANIFEST_KEY}`);
    const doc = parseManifestDocument(got.content);
    if ('problem' in doc) throw this.corrupt(doc.problem);
    return 'root' in doc ? doc.root : null;
  }

  /** Keeps the last few roots by version (for the next conditional write) and only their shards. */
  private remember(version: string, root: ManifestRoot | null): void {
    this.roots.delete(version);
    this.roots.set(version, root);
    for (const old of [...this.roots.keys()].slice(0, -KEPT_ROOTS)) this.roots.delete(old);
    if (root) this.lastRoot = root;
    const named = new Set([...this.roots.values()].flatMap((r) => r?.shards ?? []));
    for (const name of this.shards.keys()) if (!named.has(name)) this.shards.delete(name);
  }

  /**
   * Each shard's entries by index, from memory or S3; 'missing' if a named shard is gone. With
   * `desired`, shards not in memory whose key hash matches the desired files in them are not
   * downloaded: stand-ins from the desired files take their place (see readManifest).
   */
  private async readShards(
    root: ManifestRoot,
    desired: readonly DesiredFile[] | null,
  ): Promise<ManifestEntry[][] | 'missing'> {
    const limit = pLimit(this.opts.concurrency ?? 16);
    let missing = false;
    const n = root.shards.length;
    const wanted = desired && root.keyHashes ? bucketByShard(desired, n) : null;
    const read = await Promise.all(
      root.shards.map((name, index) =>
        limit(async (): Promise<ManifestEntry[]> => {
          if (name === null || missing) return [];
          const keyHash = root.keyHashes?.[index] ?? null;
          const mine = wanted?.[index];
          // A shard with no desired key in it is always read: its keys are deletes to plan.
          const matches =
            mine !== undefined && mine.length > 0 && keyHash !== null && keySetHash(mine) === keyHash;
          if (!this.shards.has(name) && matches)
            return this.standInsFor(mine, { name, index, n, keyHash, count: mine.length }, root.commit);
          const entries = await this.readShard({ name, index, n, keyHash });
          if (entries === null) missing = true;
          return entries ?? [];
        }),
      ),
    );
    return missing ? 'missing' : read;
  }

  /**
   * One shard's entries, from memory or S3 (null: it does not exist). Checked against its
   * name (content hash), its place, and the key hash its root records (when it records one),
   * also when it comes from memory: another root may name the same shard with another hash.
   */
  private async readShard(at: ShardAt): Promise<ManifestEntry[] | null> {
    const { name, index, n, keyHash } = at;
    let entries = this.shards.get(name);
    if (!entries) {
      const bytes = await this.readBytes(shardKey(name));
      if (bytes === null) return null;
      let text: string;
      try {
        text = gunzipSync(bytes, { maxOutputLength: MAX_SHARD_BYTES }).toString('utf8');
      } catch (err) {
        throw this.corrupt(`naming shard ${name}, which is not gzip (${(err as Error).message})`);
      }
      const parsed = parseShard(text, name, index, n);
      if ('problem' in parsed) throw this.corrupt(parsed.problem);
      entries = parsed.entries;
    }
    if (keyHash !== null && keySetHash(entries) !== keyHash)
      throw this.corrupt(`naming shard ${name} with a key hash its entries do not have`);
    this.shards.set(name, entries);
    return entries;
  }

  /** Entries made up from desired files for a shard that was not downloaded. */
  private standInsFor(files: readonly DesiredFile[], origin: StandInOrigin, commit: string): ManifestEntry[] {
    return files.map((d) => {
      const e = manifestEntryFor(d, null, commit);
      this.standIns.set(e, origin);
      return e;
    });
  }

  /**
   * Before a write: the shard indexes whose entries are still exactly the stand-ins of the
   * base's shard there (kept by name, not downloaded), and the manifest with every other
   * stand-in replaced by the real entry, downloading the shards they came from (the shard is
   * being rewritten, or the shard count changes). A stand-in's shard that is gone was replaced
   * by another writer: the write would lose its conditional PUT anyway, so it is a conflict.
   */
  private async resolveStandIns(
    manifest: Manifest,
    base: ManifestRoot | null,
  ): Promise<{ manifest: Manifest; unread: Set<number> }> {
    const unread = new Set<number>();
    if (!manifest.entries.some((e) => this.standIns.has(e))) return { manifest, unread };
    const n = chooseShardCount(manifest.entries.length, base?.shards.length ?? null);
    const buckets = bucketByShard(manifest.entries, n);
    const toRead = new Map<string, StandInOrigin>();
    const kept = new Set<ManifestEntry>();
    buckets.forEach((entries, i) => {
      const origins = entries.map((e) => this.standIns.get(e));
      const first = origins[0];
      const untouched =
        first !== undefined &&
        base?.shards.length === n &&
        base.shards[i] === first.name &&
        first.index === i &&
        first.n === n &&
        base.keyHashes?.[i] === first.keyHash &&
        entries.length === first.count &&
        origins.every((o) => o === first);
      if (untouched) {
        unread.add(i);
        for (const e of entries) kept.add(e);
      } else for (const o of origins) if (o) toRead.set(o.name, o);
    });
    if (toRead.size === 0) return { manifest, unread };
    const real = new Map<string, ManifestEntry>();
    for (const at of toRead.values()) {
      const entries = await this.readShard(at);
      if (entries === null) throw new ManifestConflictError(`${this.location}/${MANIFEST_KEY}`);
      for (const e of entries) real.set(e.key, e);
    }
    const entries = manifest.entries.map((e) => {
      if (!this.standIns.has(e) || kept.has(e)) return e;
      const found = real.get(e.key);
      // The shard matched its key hash, so it lists every stand-in's key with its sha256.
      if (!found || found.sha256 !== e.sha256)
        throw this.corrupt(`naming a shard without ${e.key}, which its key hash promised`);
      return found;
    });
    return { manifest: { ...manifest, entries }, unread };
  }

  private async putShard(name: string, text: string): Promise<void> {
    const key = this.objectKey(shardKey(name));
    try {
      await this.opts.client.send(
        new PutObjectCommand(this.putBase(key, gzipSync(text), 'application/gzip')),
      );
    } catch (err) {
      throw this.fail(err, key, 's3:PutObject');
    }
  }

  /**
   * The generation a root written with no root before it continues from: the first write, or
   * one over a manifest someone deleted by hand, whose shards may still be in the bucket.
   * Generations must only grow (a shard of generation <= G that root G does not name is
   * garbage), so a new root starts above every shard listed; another process still holding
   * the deleted root then never takes the new root's shards for garbage. One LIST, only on
   * such a write; when it fails (no s3:ListBucket) it starts at 1, and collectGarbage's check
   * against the committed root still keeps every shard that root names.
   */
  private async highestShardGeneration(): Promise<number> {
    try {
      let highest = 0;
      for (const key of (await this.listEtags(SHARD_PREFIX)).keys()) {
        const name = shardNameOf(key);
        const gen = name === null ? 0 : shardGeneration(name);
        // No real target nears 10^14 writes; an object named so (anyone who can write the
        // bucket can name one) must not push generations to the 15 digits a name may hold.
        if (gen < FORGED_GENERATION) highest = Math.max(highest, gen);
      }
      return highest;
    } catch (err) {
      // No s3:ListBucket, or the LIST failed: start at 1, as before this check existed.
      if (err instanceof TargetError) return 0;
      throw err;
    }
  }

  private garbageAmong(keys: string[], committed: ManifestRoot): string[] {
    return keys.map(shardNameOf).filter((n): n is string => n !== null && isGarbageShard(n, committed));
  }

  /** Deletes shards by name; best effort (a failure leaves garbage for the next sweep). */
  private async deleteShards(names: string[]): Promise<number> {
    const limit = pLimit(this.opts.concurrency ?? 16);
    const done = await Promise.all(
      names.map((name) =>
        limit(async () => {
          try {
            await this.opts.client.send(
              new DeleteObjectCommand({ Bucket: this.opts.bucket, Key: this.objectKey(shardKey(name)) }),
            );
            return 1;
          } catch (err) {
            if (isNotFound(err)) return 0;
            // catch-all: the root is already committed, so a shard we could not delete is only
            // garbage, swept by a later write or LIST; failing the write for it would be wrong.
            this.sweepDue = true;
            return 0;
          }
        }),
      ),
    );
    return done.reduce((a: number, b) => a + b, 0);
  }

  private async readBytes(key: string): Promise<Uint8Array | null> {
    const objectKey = this.objectKey(key);
    try {
      const out = await this.opts.client.send(
        new GetObjectCommand({ Bucket: this.opts.bucket, Key: objectKey }),
      );
      return (await out.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (err) {
      if (isNotFound(err)) return null;
      throw this.fail(err, objectKey, 's3:GetObject');
    }
  }

  private corrupt(problem: string): TargetError {
    return new TargetError(`the manifest at ${this.location}/${MANIFEST_KEY} is ${problem}`, this.location, {
      code: 'manifest-corrupt',
      hint: 'restore an earlier version (bucket versioning) or delete it and re-apply with --adopt',
    });
  }

  private objectKey(key: string): string {
    if (key.startsWith('/') || key.split('/').includes('..')) {
      throw new TargetError(`refusing key ${JSON.stringify(key)}: it leaves ${this.location}`, key, {
        code: 'bad-key',
      });
    }
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private putBase(key: string, body: string | Uint8Array, type: string): PutObjectCommandInput {
    const base: PutObjectCommandInput = { Bucket: this.opts.bucket, Key: key, Body: body, ContentType: type };
    if (this.opts.sseKmsKeyId) {
      base.ServerSideEncryption = 'aws:kms';
      base.SSEKMSKeyId = this.opts.sseKmsKeyId;
    }
    return base;
  }

  private fail(err: unknown, key: string, action: string): TargetError {
    const ctx = { bucket: this.opts.bucket, key, action, prefix: this.prefix };
    return translateS3Error(err, this.opts.endpoint ? { ...ctx, endpoint: this.opts.endpoint } : ctx);
  }
}

/** Object metadata (`x-amz-meta-render-digest`) carrying the render digest on the manifest. */
const DIGEST_META = 'render-digest';

function digestOf(metadata: Record<string, string> | undefined): string | null {
  const d = metadata?.[DIGEST_META];
  return d && /^[0-9a-f]{64}$/.test(d) ? d : null;
}

/** Where a shard sits in the root that names it, and the key hash that root records for it. */
interface ShardAt {
  name: string;
  index: number;
  n: number;
  keyHash: string | null;
}

/** The shard a stand-in entry replaces, and how many stand-ins were made for it. */
interface StandInOrigin extends ShardAt {
  keyHash: string;
  count: number;
}

/** Listed shard generations from here up are taken as forged (see highestShardGeneration). */
const FORGED_GENERATION = 10 ** 14;

/** Roots remembered by version (the last read and the writes after it). */
const KEPT_ROOTS = 4;

/** A shard unpacks to a few KB; anything near this is not one we wrote. */
const MAX_SHARD_BYTES = 64 << 20;

/** Above this many keys a LIST (1 request per 1,000 objects) beats a HEAD per key. */
const LIST_THRESHOLD = 4;

function unquote(etag: string): string {
  return etag.replace(/"/g, '');
}

function contentType(key: string): string {
  if (key.endsWith('.py')) return 'text/x-python';
  if (key.endsWith('.json')) return 'application/json';
  return 'application/octet-stream';
}
