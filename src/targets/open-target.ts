import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { UsageError } from '../shared/errors.js';
import type { DagStore } from './dag-store.js';
import { LocalDirDagStore } from './local-dir-dag-store.js';
import { S3DagStore } from './s3-dag-store.js';

/** What a target resolver may use: the caller's environment and options, never process globals. */
export interface TargetContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** S3-compatible endpoint (`--s3-endpoint`); else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL from env. */
  s3Endpoint?: string;
  /** SSE-KMS key for objects written to S3. */
  sseKmsKeyId?: string;
  /** Injected client (tests, the controller's shared client); else built from the SDK's standard chain. */
  s3Client?: S3Client;
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

/** Parses `s3://bucket/prefix` and builds the store with the standard AWS SDK credential chain. */
export function s3Store(spec: string, ctx: TargetContext): S3DagStore {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(spec);
  const bucket = m?.[1];
  if (!m || !bucket) throw new UsageError(`invalid S3 target ${spec}`, 'write it as s3://BUCKET/PREFIX');
  const endpoint = ctx.s3Endpoint ?? ctx.env.AWS_ENDPOINT_URL_S3 ?? ctx.env.AWS_ENDPOINT_URL;
  const client = ctx.s3Client ?? makeS3Client(ctx.env, endpoint);
  return new S3DagStore({
    client,
    bucket,
    prefix: m[2] ?? '',
    ...(ctx.sseKmsKeyId ? { sseKmsKeyId: ctx.sseKmsKeyId } : {}),
    ...(endpoint ? { endpoint } : {}),
  });
}

/**
 * An S3 client from the SDK's standard chain (env keys, AWS_PROFILE, SSO, IRSA, instance role).
 * Standard retry mode retries throttling, 5xx and dropped connections with backoff and jitter.
 * A custom endpoint (MinIO, moto, LocalStack) gets path-style URLs and checksums only when
 * required, which S3-compatible servers handle.
 */
export function makeS3Client(env: NodeJS.ProcessEnv, endpoint?: string): S3Client {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (endpoint ? 'us-east-1' : undefined);
  return new S3Client({
    ...(region ? { region } : {}),
    retryMode: 'standard',
    // A bucket in another region than AWS_REGION: follow S3's redirect instead of failing.
    followRegionRedirects: true,
    maxAttempts: Number(env.AWS_MAX_ATTEMPTS) || 5,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
    ...(endpoint
      ? {
          endpoint,
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
  });
}
