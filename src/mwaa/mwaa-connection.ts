import type { EnvOptions } from '../shared/env.js';
import { UsageError } from '../shared/errors.js';
import { MwaaCli } from './airflow-cli.js';
import { type AirflowCommands, airflowCommands } from './airflow-commands.js';
import { createMwaaControlPlane, type MwaaControlPlane } from './mwaa-client.js';

/** Everything needed to talk to one MWAA environment: its control plane and its Airflow CLI. */
export interface MwaaConnection {
  environment: string;
  controlPlane: MwaaControlPlane;
  cli: MwaaCli;
  airflow: AirflowCommands;
}

/**
 * Builds the clients from the parsed environment: AWS_REGION, AWS credentials (used as given,
 * as for S3; otherwise the SDK's standard chain applies) and BACKTEST_GITOPS_MWAA_ENDPOINT for
 * a local fake. A plain-http control-plane endpoint means a local fake whose web server speaks
 * http too.
 */
export function connectMwaa(environment: string, options: EnvOptions, region?: string): MwaaConnection {
  if (!/^[A-Za-z][0-9A-Za-z_-]{0,79}$/.test(environment)) {
    throw new UsageError(
      `'${environment}' is not an MWAA environment name`,
      'names start with a letter and use letters, digits, - and _ (at most 80 characters)',
    );
  }
  const endpoint = options.mwaaEndpoint;
  const credentials = options.awsCredentials;
  const resolvedRegion = region ?? options.awsRegion;
  if (!resolvedRegion) {
    throw new UsageError(`no AWS region for MWAA environment '${environment}'`, 'set AWS_REGION');
  }
  const controlPlane = createMwaaControlPlane({
    region: resolvedRegion,
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  });
  const cli = new MwaaCli({
    controlPlane,
    environment,
    scheme: endpoint?.startsWith('http://') ? 'http' : 'https',
  });
  return { environment, controlPlane, cli, airflow: airflowCommands(cli) };
}
