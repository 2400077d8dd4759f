import { describe, expect, it } from 'vitest';
import { MwaaError } from '../shared/errors.js';
import { airflowMajor, bucketFromArn, isAvailable, normalizeDagS3Path } from './environment.js';

describe('interpreting GetEnvironment', () => {
  it('takes the bucket from SourceBucketArn', () => {
    expect(bucketFromArn('arn:aws:s3:::acme-mwaa-prod')).toBe('acme-mwaa-prod');
    expect(bucketFromArn('arn:aws-cn:s3:::acme-mwaa-cn')).toBe('acme-mwaa-cn');
    expect(() => bucketFromArn('arn:aws:s3:::bucket/with/key')).toThrow(/not an S3 bucket ARN/);
  });

  it('normalises DagS3Path', () => {
    expect(normalizeDagS3Path('dags')).toBe('dags');
    expect(normalizeDagS3Path('/dags/')).toBe('dags');
    expect(normalizeDagS3Path('team/dags/')).toBe('team/dags');
  });

  it('renders for the environment Airflow major version', () => {
    expect(airflowMajor('2.10.3')).toBe(2);
    expect(airflowMajor('3.0.6')).toBe(3);
    expect(() => airflowMajor('1.10.12')).toThrow(/unsupported Airflow version/);
    // Typed, so the CLI prints the message and hint rather than "internal error" and a stack.
    expect(() => airflowMajor('1.10.12')).toThrow(MwaaError);
    expect(() => bucketFromArn('arn:aws:s3:::bucket/with/key')).toThrow(MwaaError);
  });

  it('only AVAILABLE environments are asked', () => {
    expect(isAvailable({ status: 'AVAILABLE' })).toBe(true);
    expect(isAvailable({ status: 'UPDATING' })).toBe(false);
  });
});
