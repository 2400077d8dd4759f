import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EnvOptions } from '../shared/env.js';
import { UsageError } from '../shared/errors.js';
import type { DagStore } from './dag-store.js';
import { LocalDirDagStore } from './local-dir-dag-store.js';
import { makeS3Client } from './s3-client.js';
import { S3DagStore, type S3DagStoreOptions } from './s3-dag-store.js';

/** What a target resolver may use: the caller's parsed environment and options, never process globals. */
export interface TargetContext {
  /** The environment as parseEnv read it (region, credentials, endpoints). */
  options: EnvOptions;
  cwd: string;
  /** S3-compatible endpoint (`--s3-endpoint`); else the one parseEnv read. */
  s3Endpoint?: string;
  /** SSE-KMS key for objects written to S3. */
  sseKmsKeyId?: string;
  /** Injected client (tests, the controller's shared client); else built from the SDK's standard chain. */
  s3Client?: S3DagStoreOptions['client'];
}

/** Turns `scheme://rest` into a store. */
export type TargetResolver = (spec: string, ctx: TargetContext) => DagStore | Promise<DagStore>;

/**
 * Target schemes, one line each. `mwaa://ENV` is resolved by the MWAA component (it looks up
 * the environment's bucket and DAG path, then returns an S3DagStore); pass it in `extra`.
 */
export const builtinResolvers: Record<string, TargetResolver> = {
  file: (spec, ctx) => localStore(filePath(spec), spec, ctx),
  s3: (spec, ctx) => s3Store(spec, ctx),
};

/** Opens `./dir`, `/abs/dir`, `file:///dir`, `s3://bucket/prefix` or any scheme in `extra`. */
export async function openTarget(
  spec: string,
  ctx: TargetContext,
  extra: Record<string, TargetResolver> = {},
): Promise<DagStore> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(spec)?.[1]?.toLowerCase();
  if (scheme === undefined) return localStore(spec, spec, ctx);
  const resolver = extra[scheme] ?? builtinResolvers[scheme];
  if (!resolver) {
    const known = [...new Set([...Object.keys(builtinResolvers), ...Object.keys(extra)])].map(
      (s) => `${s}://`,
    );
    throw new UsageError(
      `unknown target scheme ${scheme}:// in ${spec}`,
      `use a folder path, ${known.join(', ')}`,
    );
  }
  return resolver(spec, ctx);
}

function localStore(path: string, spec: string, ctx: TargetContext): DagStore {
  return new LocalDirDagStore(isAbsolute(path) ? path : resolve(ctx.cwd, path), spec);
}

/** `file:///abs/dir` → `/abs/dir`; a host (`file://out/dags`, a relative path mistaken for one) is a usage error. */
function filePath(spec: string): string {
  try {
    return fileURLToPath(spec);
  } catch (err) {
    throw new UsageError(
      `invalid file target ${spec}: ${(err as Error).message}`,
      'write it as file:///ABSOLUTE/PATH, or pass a plain folder path (relative paths allowed)',
    );
  }
}

/** Parses `s3://bucket/prefix` and builds the store with the injected client or settings. */
export function s3Store(spec: string, ctx: TargetContext): S3DagStore {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(spec);
  const bucket = m?.[1];
  if (!m || !bucket) throw new UsageError(`invalid S3 target ${spec}`, 'write it as s3://BUCKET/PREFIX');
  const { options } = ctx;
  const endpoint = ctx.s3Endpoint ?? options.s3Endpoint;
  const client =
    ctx.s3Client ??
    makeS3Client({
      ...(endpoint ? { endpoint } : {}),
      ...(options.awsRegion ? { region: options.awsRegion } : {}),
      ...(options.awsCredentials ? { credentials: options.awsCredentials } : {}),
      ...(options.awsMaxAttempts ? { maxAttempts: options.awsMaxAttempts } : {}),
    });
  return new S3DagStore({
    client,
    bucket,
    prefix: m[2] ?? '',
    ...(ctx.sseKmsKeyId ? { sseKmsKeyId: ctx.sseKmsKeyId } : {}),
    ...(endpoint ? { endpoint } : {}),
  });
}
