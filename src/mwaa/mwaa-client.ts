import {
  AccessDeniedException,
  CreateCliTokenCommand,
  GetEnvironmentCommand,
  MWAAClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-mwaa';
import { MwaaError } from '../shared/errors.js';
import { bucketFromArn, type MwaaEnvironment, normalizeDagS3Path } from './environment.js';

/**
 * The MWAA control plane, narrowed to the two calls we make. The only file that imports
 * @aws-sdk/client-mwaa; SDK errors become MwaaErrors that name the environment, the region
 * and, for access problems, the IAM action to grant.
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
}

export function createMwaaControlPlane(options: MwaaClientOptions): MwaaControlPlane {
  const client = new MWAAClient({
    region: options.region,
    ...(options.endpoint
      ? {
          endpoint: options.endpoint,
          // The real API puts `api.` / `env.` in front of the host; a local endpoint has no such hosts.
          disableHostPrefix: true,
        }
      : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: 3,
  });
  const region = options.region;

  return {
    region,
    async resolveEnvironment(name) {
      try {
        const out = await client.send(new GetEnvironmentCommand({ Name: name }));
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
        const out = await client.send(new CreateCliTokenCommand({ Name: name }));
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

function translate(err: unknown, name: string, region: string, action: string): MwaaError {
  if (err instanceof MwaaError) return err;
  if (err instanceof ResourceNotFoundException) {
    return new MwaaError(`MWAA environment '${name}' not found in region ${region}`, {
      code: 'mwaa-not-found',
      hint: 'check the name in --target mwaa://NAME (or mwaa.environment) and AWS_REGION; `aws mwaa list-environments` lists them',
      cause: err,
    });
  }
  if (err instanceof AccessDeniedException || isAccessDenied(err)) {
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
