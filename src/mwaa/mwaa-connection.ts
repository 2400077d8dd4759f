import { parseEnv } from '../shared/env.js';
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
 * Builds the clients from a CLI or controller environment: AWS_REGION, and
 * BACKTEST_GITOPS_MWAA_ENDPOINT for a local fake. A plain-http control-plane endpoint means a
 * local fake whose web server speaks http too. Credentials found in `env` are used as given
 * (so an in-process run honours its own env); otherwise the SDK's standard chain applies.
 */
export function connectMwaa(environment: string, env: NodeJS.ProcessEnv, region?: string): MwaaConnection {
  if (!/^[A-Za-z][0-9A-Za-z_-]{0,79}$/.test(environment)) {
    throw new UsageError(
      `'${environment}' is not an MWAA environment name`,
      'names start with a letter and use letters, digits, - and _ (at most 80 characters)',
    );
  }
  const options = parseEnv(env);
  const endpoint = options.mwaaEndpoint;
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
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
