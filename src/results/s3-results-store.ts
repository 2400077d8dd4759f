import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { EnvOptions } from '../shared/env.js';
import { makeS3Client } from '../targets/s3-client.js';
import { isNotFound, translateS3Error } from '../targets/s3-errors.js';
import { MAX_METRICS_BYTES, type ResultsStore } from './results-store.js';

/** The results bucket (s3://bucket/backtests/...), read with the caller's S3 client. */
export class S3ResultsStore implements ResultsStore {
  readonly location: string;
  /** Requests sent, by kind; read by the benchmark. */
  readonly requests = { list: 0, get: 0, put: 0 };

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {
    this.location = `s3://${bucket}`;
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      this.requests.list++;
      try {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } catch (err) {
        throw translateS3Error(err, { bucket: this.bucket, key: prefix, action: 's3:ListBucket' });
      }
    } while (token);
    return keys.sort();
  }

  async read(key: string): Promise<string | null> {
    this.requests.get++;
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if ((res.ContentLength ?? 0) > MAX_METRICS_BYTES) {
        res.Body?.transformToWebStream().cancel();
        return `{"too_large": ${MAX_METRICS_BYTES}}`;
      }
      return (await res.Body?.transformToString('utf8')) ?? '';
    } catch (err) {
      if (isNotFound(err)) return null;
      throw translateS3Error(err, { bucket: this.bucket, key, action: 's3:GetObject' });
    }
  }

  async write(key: string, text: string, contentType: string): Promise<void> {
    this.requests.put++;
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: text, ContentType: contentType }),
      );
    } catch (err) {
      throw translateS3Error(err, { bucket: this.bucket, key, action: 's3:PutObject' });
    }
  }
}

/**
 * An S3 client for the results bucket, built like the DAG target's (region, credentials,
 * endpoint for an S3-compatible store, as parseEnv read them; else the SDK's standard chain).
 */
export function resultsS3Client(options: EnvOptions, endpoint?: string): S3Client {
  const url = endpoint ?? options.s3Endpoint;
  return makeS3Client({
    ...(url ? { endpoint: url } : {}),
    ...(options.awsRegion ? { region: options.awsRegion } : {}),
    ...(options.awsCredentials ? { credentials: options.awsCredentials } : {}),
    ...(options.awsMaxAttempts ? { maxAttempts: options.awsMaxAttempts } : {}),
  });
}
