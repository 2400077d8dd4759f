import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { MwaaError } from '../shared/errors.js';
import { bucketFromArn, type MwaaEnvironment, normalizeDagS3Path } from './environment.js';

/**
 * The MWAA control plane, narrowed to the two calls we make. The only file that talks to the
 * MWAA API. It signs its two REST-JSON requests with the same SigV4 signer and credential
 * chain as the S3 client (one AWS SDK stack in the image instead of a second, older one that
 * @aws-sdk/client-mwaa would bring). API errors become MwaaErrors that name the environment,
 * the region and, for access problems, the IAM action to grant.
 */
export interface MwaaControlPlane {
  readonly region: string;
  resolveEnvironment(name: string): Promise<MwaaEnvironment>;
  createCliToken(name: string): Promise<{ token: string; webserverHostname: string }>;
}

export interface MwaaClientOptions {
  region: string;
  /** Custom control-plane endpoint (a local fake in tests). */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Attempts per call for network errors, throttling and 5xx answers (default 3). */
  maxAttempts?: number;
  fetch?: typeof fetch;
}

/** An error answer of the MWAA API: its `x-amzn-errortype` as `name`, the HTTP status. */
class MwaaApiError extends Error {
  readonly $metadata: { httpStatusCode: number };
  constructor(name: string, message: string, status: number) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode: status };
  }
}

export function createMwaaControlPlane(options: MwaaClientOptions): MwaaControlPlane {
  const region = options.region;
  const signer = new SignatureV4({
    service: 'airflow',
    region,
    credentials: options.credentials ?? defaultProvider(),
    sha256: Sha256,
  });
  const doFetch = options.fetch ?? fetch;
  const maxAttempts = options.maxAttempts ?? 3;

  /** One signed call; the real API puts `api.` / `env.` in front of the host, a local endpoint has none. */
  async function call(method: 'GET' | 'POST', path: string, hostPrefix: 'api' | 'env'): Promise<unknown> {
    const base = new URL(options.endpoint ?? `https://${hostPrefix}.airflow.${region}.amazonaws.com`);
    for (let attempt = 1; ; attempt++) {
      const body = method === 'POST' ? '{}' : undefined;
      const signed = await signer.sign({
        method,
        protocol: base.protocol,
        hostname: base.hostname,
        ...(base.port ? { port: Number(base.port) } : {}),
        path: `${base.pathname.replace(/\/$/, '')}${path}`,
        query: {},
        headers: {
          host: base.host,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body } : {}),
      });
      let res: Response;
      try {
        res = await doFetch(new URL(signed.path, base.origin), {
          method,
          headers: signed.headers,
          ...(body !== undefined ? { body } : {}),
        });
      } catch (err) {
        if (attempt < maxAttempts) {
          await backoff(attempt);
          continue;
        }
        throw err;
      }
      const text = await res.text();
      if (res.ok) return text ? JSON.parse(text) : {};
      const type = (res.headers.get('x-amzn-errortype') ?? '').split(':')[0] || `HTTP${res.status}`;
      const retryable = res.status >= 500 || res.status === 429 || /Throttl/.test(type);
      if (retryable && attempt < maxAttempts) {
        await backoff(attempt);
        continue;
      }
      throw new MwaaApiError(type, errorMessage(text) ?? `HTTP ${res.status}`, res.status);
    }
  }

  return {
    region,
    async resolveEnvironment(name) {
      try {
        const out = (await call('GET', `/environments/${encodeURIComponent(name)}`, 'api')) as {
          Environment?: {
            Status?: string;
            AirflowVersion?: string;
            SourceBucketArn?: string;
            DagS3Path?: string;
            WebserverUrl?: string;
          };
        };
        const env = out.Environment;
        if (!env?.SourceBucketArn || !env.WebserverUrl) {
          throw new MwaaError(
            `MWAA environment '${name}' in region ${region} has no DAG bucket or web server yet (status ${env?.Status ?? 'unknown'})`,
            {
              code: 'mwaa-environment-incomplete',
              hint: 'wait until the environment is created and AVAILABLE',
            },
          );
        }
        return {
          name,
          status: env.Status ?? 'UNKNOWN',
          airflowVersion: env.AirflowVersion ?? 'unknown',
          bucket: bucketFromArn(env.SourceBucketArn),
          prefix: normalizeDagS3Path(env.DagS3Path ?? 'dags'),
          webserverHostname: env.WebserverUrl.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, ''),
          region,
        };
      } catch (err) {
        throw translate(err, name, region, 'airflow:GetEnvironment');
      }
    },
    async createCliToken(name) {
      try {
        const out = (await call('POST', `/clitoken/${encodeURIComponent(name)}`, 'env')) as {
          CliToken?: string;
          WebServerHostname?: string;
        };
        if (!out.CliToken || !out.WebServerHostname) {
          throw new MwaaError(`MWAA returned no CLI token for environment '${name}'`, { code: 'mwaa-token' });
        }
        return { token: out.CliToken, webserverHostname: out.WebServerHostname };
      } catch (err) {
        throw translate(err, name, region, 'airflow:CreateCliToken');
      }
    },
  };
}

/** SHA-256 and HMAC-SHA256 from node:crypto, in the shape the SigV4 signer asks for. */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof secret === 'string' ? secret : toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function toBuffer(data: ArrayBuffer | ArrayBufferView): Buffer {
  return ArrayBuffer.isView(data)
    ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    : Buffer.from(data);
}

function errorMessage(text: string): string | null {
  try {
    // Any JSON value may come back (null, a string): only an object's message counts.
    const body = JSON.parse(text) as { message?: string; Message?: string } | null;
    return body?.message ?? body?.Message ?? null;
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    return text.trim() || null;
  }
}

function backoff(attempt: number): Promise<void> {
  const ms = Math.min(2_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function translate(err: unknown, name: string, region: string, action: string): MwaaError {
  if (err instanceof MwaaError) return err;
  const e = err as { name?: string } | null;
  if (e?.name === 'ResourceNotFoundException') {
    return new MwaaError(`MWAA environment '${name}' not found in region ${region}`, {
      code: 'mwaa-not-found',
      hint: 'check the name in --target mwaa://NAME (or mwaa.environment) and AWS_REGION; `aws mwaa list-environments` lists them',
      cause: err,
    });
  }
  if (isAccessDenied(err)) {
    return new MwaaError(
      `access denied calling ${action} on MWAA environment '${name}' in region ${region}`,
      {
        code: 'mwaa-access-denied',
        hint: `grant the controller's IAM role ${action} on arn:aws:airflow:${region}:<account>:environment/${name}`,
        cause: err,
      },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new MwaaError(
    `MWAA ${action.replace('airflow:', '')} for '${name}' in region ${region} failed: ${message}`,
    {
      code: 'mwaa-api',
      hint: 'check network access to the MWAA API and the AWS credentials in use',
      cause: err,
    },
  );
}

function isAccessDenied(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === 'AccessDeniedException' || e?.$metadata?.httpStatusCode === 403;
}
