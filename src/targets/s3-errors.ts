import { TargetError } from '../shared/errors.js';

/** The parts of an AWS SDK v3 error we look at. */
interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

export function awsErrorName(err: unknown): string {
  const e = err as AwsErrorShape | null;
  return e?.name ?? e?.code ?? '';
}

export function awsStatus(err: unknown): number | undefined {
  return (err as AwsErrorShape | null)?.$metadata?.httpStatusCode;
}

/** 412 (or 409 for a concurrent conditional write): the If-Match / If-None-Match condition failed. */
export function isPreconditionFailed(err: unknown): boolean {
  const name = awsErrorName(err);
  return (
    name === 'PreconditionFailed' ||
    name === 'ConditionalRequestConflict' ||
    awsStatus(err) === 412 ||
    awsStatus(err) === 409
  );
}

export function isNotFound(err: unknown): boolean {
  const name = awsErrorName(err);
  return name === 'NoSuchKey' || name === 'NotFound' || (awsStatus(err) === 404 && name !== 'NoSuchBucket');
}

const CREDENTIAL_ERRORS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'CredentialsProviderError',
  'InvalidClientTokenId',
]);

/**
 * Turns an SDK error into a TargetError that names the bucket, the key and, for access
 * problems, the IAM action and resource ARN the controller's role needs.
 */
export function translateS3Error(
  err: unknown,
  ctx: { bucket: string; key: string; action: string; endpoint?: string; prefix?: string },
): TargetError {
  if (err instanceof TargetError) return err;
  const name = awsErrorName(err);
  const status = awsStatus(err);
  const where = `s3://${ctx.bucket}/${ctx.key}`;
  const message = (err as AwsErrorShape | null)?.message ?? String(err);
  if (name === 'NoSuchBucket') {
    return new TargetError(`the S3 bucket ${ctx.bucket} does not exist`, `s3://${ctx.bucket}`, {
      code: 'no-such-bucket',
      hint: 'check the bucket name in --target (and the region / endpoint); the controller never creates buckets',
      cause: err,
    });
  }
  if (CREDENTIAL_ERRORS.has(name) || /could not load credentials/i.test(message)) {
    const missing = name === 'CredentialsProviderError' || /could not load credentials/i.test(message);
    return new TargetError(
      missing
        ? 'no AWS credentials found'
        : `AWS rejected the credentials (${name}) while accessing s3://${ctx.bucket}`,
      `s3://${ctx.bucket}`,
      {
        code: 'credentials',
        hint: missing
          ? 'set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an IAM role (IRSA / instance profile)'
          : 'check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN or the AWS_PROFILE in use; the key may be wrong or expired',
        cause: err,
      },
    );
  }
  if (name === 'AccessDenied' || name === 'Forbidden' || status === 403) {
    const arn = `arn:aws:s3:::${ctx.bucket}/${ctx.prefix ? `${ctx.prefix}/` : ''}*`;
    const kms =
      ctx.action === 's3:PutObject'
        ? ' (plus kms:GenerateDataKey on the key when SSE-KMS is used)'
        : ctx.action === 's3:GetObject'
          ? ` (and s3:ListBucket on arn:aws:s3:::${ctx.bucket}: without it S3 answers 403 instead of 404 for a key that does not exist yet, such as the first manifest)`
          : '';
    return new TargetError(`access denied: ${ctx.action} on ${where}`, where, {
      code: 'access-denied',
      hint: `grant ${ctx.action} on ${arn} to the IAM role or user the controller runs as${kms}; deploy/iam-policy.json has the full policy`,
      cause: err,
    });
  }
  if (/region is missing/i.test(message)) {
    return new TargetError('no AWS region configured', `s3://${ctx.bucket}`, {
      code: 'credentials',
      hint: 'set AWS_REGION (or a region in the AWS_PROFILE used)',
      cause: err,
    });
  }
  const net = (err as NodeJS.ErrnoException | null)?.code;
  if (net === 'ECONNREFUSED' || net === 'ENOTFOUND' || net === 'EAI_AGAIN') {
    return new TargetError(`cannot reach S3${ctx.endpoint ? ` at ${ctx.endpoint}` : ''} (${net})`, where, {
      code: 'unreachable',
      cause: err,
    });
  }
  return new TargetError(
    `${ctx.action} on ${where} failed: ${name || 'error'}${status ? ` (HTTP ${status})` : ''}: ${message}`,
    where,
    {
      code: 's3',
      cause: err,
    },
  );
}
