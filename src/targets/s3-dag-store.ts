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
import { MANIFEST_KEY, parseManifest, serializeManifest } from '../plan/manifest.js';
import type { Manifest } from '../plan/types.js';
import { ManifestConflictError, TargetError } from '../shared/errors.js';
import type { DagStore, PutCondition, PutMeta } from './dag-store.js';
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

  constructor(private readonly opts: S3DagStoreOptions) {
    this.prefix = opts.prefix.replace(/^\/+|\/+$/g, '');
    this.location = `s3://${opts.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  async readManifest(): Promise<{ manifest: Manifest; version: string; digest?: string } | null> {
    const got = await this.readObject(MANIFEST_KEY);
    if (got === null) return null;
    const parsed = parseManifest(got.content);
    if ('problem' in parsed) {
      throw new TargetError(
        `the manifest at ${this.location}/${MANIFEST_KEY} is ${parsed.problem}`,
        this.location,
        {
          code: 'manifest-corrupt',
          hint: 'restore an earlier version (bucket versioning) or delete it and re-apply with --adopt',
        },
      );
    }
    const digest = digestOf(got.metadata);
    return { manifest: parsed.manifest, version: got.version, ...(digest ? { digest } : {}) };
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

  async writeManifest(
    manifest: Manifest,
    expectedVersion: string | null,
    digest: string | null = null,
  ): Promise<string> {
    const key = this.objectKey(MANIFEST_KEY);
    // The digest rides on the same PUT as object metadata: it can never describe another
    // version of the manifest, and a write with something pending carries none.
    const stored = digest !== null && (manifest.pending?.length ?? 0) === 0;
    try {
      const out = await this.opts.client.send(
        new PutObjectCommand({
          ...this.putBase(key, serializeManifest(manifest), 'application/json'),
          ...(stored ? { Metadata: { [DIGEST_META]: digest } } : {}),
          ...(expectedVersion === null ? { IfNoneMatch: '*' } : { IfMatch: expectedVersion }),
        }),
      );
      return out.ETag ?? '';
    } catch (err) {
      // 404 on If-Match: somebody deleted the manifest since we read it; also a conflict.
      if (isPreconditionFailed(err) || (expectedVersion !== null && isNotFound(err))) {
        throw new ManifestConflictError(`${this.location}/${MANIFEST_KEY}`, err);
      }
      throw this.fail(err, key, 's3:PutObject');
    }
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

  async read(key: string): Promise<{ content: string; version: string } | null> {
    const got = await this.readObject(key);
    return got && { content: got.content, version: got.version };
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

  /** Every object under the prefix, key (relative) → ETag. */
  private async listEtags(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const prefix = this.prefix ? `${this.prefix}/` : '';
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
        if (o.Key && o.ETag) out.set(o.Key.slice(prefix.length), o.ETag);
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

  private objectKey(key: string): string {
    if (key.startsWith('/') || key.split('/').includes('..')) {
      throw new TargetError(`refusing key ${JSON.stringify(key)}: it leaves ${this.location}`, key, {
        code: 'bad-key',
      });
    }
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private putBase(key: string, body: string, type: string): PutObjectCommandInput {
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
