import { MwaaError } from '../shared/errors.js';

/**
 * What we need to know about an MWAA environment, in our own words (the SDK's shapes stay
 * in mwaa-client.ts). Plain data plus the pure helpers that interpret GetEnvironment.
 */
export interface MwaaEnvironment {
  name: string;
  /** MWAA status (`AVAILABLE`, `UPDATING`, `CREATING`, ...). */
  status: string;
  /** Airflow version as MWAA reports it, e.g. `2.10.3`. */
  airflowVersion: string;
  /** DAG bucket, from `SourceBucketArn`. */
  bucket: string;
  /** DAG folder inside the bucket, from `DagS3Path`, without slashes at either end (`dags`). */
  prefix: string;
  /** Host (and, for local fakes, port) of the Airflow web server, without scheme. */
  webserverHostname: string;
  region: string;
}

/** Only an AVAILABLE environment answers CLI calls reliably; anything else defers the import check. */
export function isAvailable(env: Pick<MwaaEnvironment, 'status'>): boolean {
  return env.status === 'AVAILABLE';
}

/** `arn:aws:s3:::my-bucket` -> `my-bucket`; a bare bucket name is returned as is. */
export function bucketFromArn(arn: string): string {
  const match = /^arn:aws[a-z-]*:s3:::([^/]+)$/.exec(arn.trim());
  if (match?.[1]) return match[1];
  if (/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(arn.trim())) return arn.trim();
  throw new MwaaError(`the MWAA environment's SourceBucketArn is not an S3 bucket ARN: ${arn}`, {
    code: 'mwaa-bucket',
    hint: 'set the environment source bucket to a bucket ARN (arn:aws:s3:::BUCKET)',
  });
}

/** `dags/`, `/dags`, `dags` -> `dags`; `""` stays the bucket root. */
export function normalizeDagS3Path(path: string): string {
  return path.trim().replace(/^\/+|\/+$/g, '');
}

/** Major Airflow version (2 or 3) the renderer targets for this environment. */
export function airflowMajor(version: string): 2 | 3 {
  const major = Number.parseInt(version.split('.')[0] ?? '', 10);
  if (major === 3) return 3;
  if (major === 2) return 2;
  throw new MwaaError(
    `unsupported Airflow version '${version}' (backtest-gitops renders for Airflow 2 and 3)`,
    {
      code: 'mwaa-airflow-version',
      hint: 'upgrade the MWAA environment to Airflow 2.x or 3.x',
    },
  );
}
