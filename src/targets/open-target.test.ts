import { describe, expect, it } from 'vitest';
import { parseEnv } from '../shared/env.js';
import { UsageError } from '../shared/errors.js';
import { LocalDirDagStore } from './local-dir-dag-store.js';
import { openTarget, type TargetResolver } from './open-target.js';
import { S3DagStore } from './s3-dag-store.js';
import { translateS3Error } from './s3-errors.js';

const ctx = { options: parseEnv({ AWS_REGION: 'eu-west-1' }), cwd: '/srv/configs' };

describe('openTarget', () => {
  it('opens folders, file:// URLs and s3:// prefixes', async () => {
    expect(await openTarget('./out/dags', ctx)).toBeInstanceOf(LocalDirDagStore);
    expect((await openTarget('file:///srv/dags', ctx)).location).toBe('file:///srv/dags');
    const s3 = await openTarget('s3://my-bucket/team/dags/', ctx);
    expect(s3).toBeInstanceOf(S3DagStore);
    expect(s3.location).toBe('s3://my-bucket/team/dags');
    expect((await openTarget('s3://my-bucket', ctx)).location).toBe('s3://my-bucket');
  });

  it('uses injected resolvers for other schemes and names the known ones otherwise', async () => {
    const local = new LocalDirDagStore('/tmp/x', 'mwaa://prod');
    const mwaa: TargetResolver = (spec) => (spec === 'mwaa://prod' ? local : Promise.reject(new Error(spec)));
    expect(await openTarget('mwaa://prod', ctx, { mwaa })).toBe(local);
    await expect(openTarget('gs://b/p', ctx)).rejects.toThrow(/unknown target scheme gs:\/\//);
    await expect(openTarget('s3:///nobucket', ctx)).rejects.toBeInstanceOf(UsageError);
  });

  it('reports a file:// URL with a host (file://out/dags) as a usage error, not a crash', async () => {
    await expect(openTarget('file://out/dags', ctx)).rejects.toBeInstanceOf(UsageError);
    await expect(openTarget('file://out/dags', ctx)).rejects.toMatchObject({
      message: expect.stringMatching(/^invalid file target file:\/\/out\/dags/),
      hint: expect.stringContaining('file:///ABSOLUTE/PATH'),
    });
  });
});

describe('translateS3Error', () => {
  const where = { bucket: 'dags-bucket', key: 'dags/a.py', action: 's3:PutObject', prefix: 'dags' };
  it('names the action, resource ARN and credentials fixes', () => {
    const denied = translateS3Error({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }, where);
    expect(denied.code).toBe('access-denied');
    expect(denied.hint).toContain('s3:PutObject on arn:aws:s3:::dags-bucket/dags/*');
    const read = translateS3Error({ name: 'AccessDenied' }, { ...where, action: 's3:GetObject' });
    expect(read.hint).toContain('s3:ListBucket on arn:aws:s3:::dags-bucket');
    expect(translateS3Error({ name: 'NoSuchBucket' }, where).message).toBe(
      'the S3 bucket dags-bucket does not exist',
    );
    const missing = translateS3Error(
      { name: 'CredentialsProviderError', message: 'Could not load credentials from any providers' },
      where,
    );
    expect([missing.code, missing.message]).toEqual(['credentials', 'no AWS credentials found']);
    expect(translateS3Error({ name: 'SignatureDoesNotMatch' }, where).hint).toContain(
      'AWS_SECRET_ACCESS_KEY',
    );
  });
});
