import { S3Client } from '@aws-sdk/client-s3';
import type { AwsCredentials } from '../shared/env.js';

/** What an S3 client is built from: values parsed once by parseEnv (or given on the command line). */
export interface S3ClientSettings {
  /** S3-compatible endpoint (MinIO, moto, LocalStack); implies path-style URLs. */
  endpoint?: string;
  region?: string;
  /** Used as given; absent: the SDK's standard chain (AWS_PROFILE, SSO, IRSA, instance role). */
  credentials?: AwsCredentials;
  /** Attempts per request (standard retry mode); 5 when absent. */
  maxAttempts?: number;
}

/**
 * The S3 client of the S3 adapter. Standard retry mode retries throttling, 5xx and dropped
 * connections with backoff and jitter. A custom endpoint gets path-style URLs and checksums
 * only when required, which S3-compatible servers handle.
 */
export function makeS3Client(settings: S3ClientSettings): S3Client {
  const { endpoint, credentials } = settings;
  const region = settings.region ?? (endpoint ? 'us-east-1' : undefined);
  return new S3Client({
    ...(region ? { region } : {}),
    ...(credentials ? { credentials } : {}),
    retryMode: 'standard',
    // A bucket in another region than AWS_REGION: follow S3's redirect instead of failing.
    followRegionRedirects: true,
    maxAttempts: settings.maxAttempts ?? 5,
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
