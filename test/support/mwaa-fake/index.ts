import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MOTO_ENV, motoS3Client } from '../moto.js';
import type { VenvName } from '../python.js';
import type { AirflowRun } from './airflow-home.js';
import { createAirflowHome } from './airflow-home.js';
import { isAllowListed, splitCommandLine } from './allow-list.js';
import { S3FolderSync } from './s3-sync.js';

/**
 * A local stand-in for one MWAA environment: the control-plane calls GetEnvironment
 * (`GET /environments/{Name}`) and CreateCliToken (`POST /clitoken/{Name}`) in AWS's
 * REST-JSON protocol, so the real signed client (src/mwaa/mwaa-client.ts) talks to it (an
 * endpoint without host prefixes), and the web server's `/aws_mwaa/cli`, which checks the bearer token,
 * accepts only MWAA's allow-listed commands and runs the REAL Airflow CLI against a DAG
 * folder synced from the (moto) S3 bucket, answering base64 stdout/stderr as MWAA does.
 */
export interface MwaaFakeOptions {
  s3Endpoint: string;
  bucket: string;
  /** DAG folder in the bucket (`DagS3Path`), e.g. `dags`. */
  prefix: string;
  name?: string;
  region?: string;
  airflowVersion?: string;
  venv?: VenvName;
  status?: string;
  tokenTtlMs?: number;
}

export type IamAction = 'airflow:GetEnvironment' | 'airflow:CreateCliToken';

export interface MwaaFake {
  /** Control-plane endpoint for createMwaaControlPlane({ endpoint }). */
  endpoint: string;
  name: string;
  region: string;
  dagsFolder: string;
  setStatus(status: string): void;
  setTokenTtlMs(ms: number): void;
  /** Makes every token issued so far invalid, as if 60 s had passed. */
  expireTokens(): void;
  /** Stops copying S3 into the DAG folder (MWAA's sync lagging or stuck). */
  setSyncPaused(paused: boolean): void;
  deny(action: IamAction): void;
  allow(action: IamAction): void;
  stats: { tokensIssued: number; cliCalls: string[]; rejected: string[]; expiredTokenHits: number };
  /**
   * The environment's own side (a test playing its scheduler or executor): `python SCRIPT
   * ARGS` with the environment's Airflow, configuration and metadata DB, in the warm CLI's
   * interpreter, queued with the CLI commands (one at a time on the SQLite DB).
   */
  runPython(script: string, args: readonly string[]): Promise<AirflowRun>;
  /**
   * Likewise `airflow ARGS` (e.g. `dags test`: the environment running a DAG), with `env`
   * added (connections, AWS credentials). Not a CLI call: not in `stats.cliCalls`.
   */
  runAirflow(args: readonly string[], env?: Record<string, string>): Promise<AirflowRun>;
  stop(): Promise<void>;
}

export async function startMwaaFake(options: MwaaFakeOptions): Promise<MwaaFake> {
  const name = options.name ?? 'backtest-env';
  const region = options.region ?? MOTO_ENV.AWS_REGION;
  const airflowVersion = options.airflowVersion ?? (options.venv === 'airflow3' ? '3.0.6' : '2.11.0');
  const home = await createAirflowHome(options.venv ?? 'airflow2');
  const folderSync = new S3FolderSync(
    motoS3Client(options.s3Endpoint),
    options.bucket,
    options.prefix,
    home.dagsFolder,
  );
  let status = options.status ?? 'AVAILABLE';
  let tokenTtlMs = options.tokenTtlMs ?? 60_000;
  let syncPaused = false;
  let dbStale = false;
  const denied = new Set<IamAction>();
  const tokens = new Map<string, number>();
  const stats: MwaaFake['stats'] = { tokensIssued: 0, cliCalls: [], rejected: [], expiredTokenHits: 0 };
  // One Airflow command at a time, like one CLI worker; SQLite would not like more.
  let queue: Promise<unknown> = Promise.resolve();
  let port = 0;

  const environmentDoc = () => ({
    Environment: {
      Name: name,
      Arn: `arn:aws:airflow:${region}:123456789012:environment/${name}`,
      Status: status,
      AirflowVersion: airflowVersion,
      SourceBucketArn: `arn:aws:s3:::${options.bucket}`,
      DagS3Path: options.prefix,
      WebserverUrl: `127.0.0.1:${port}`,
      EnvironmentClass: 'mw1.small',
      CreatedAt: 1_700_000_000,
    },
  });

  function queued<T>(task: () => Promise<T>): Promise<T> {
    const run = queue.then(task);
    queue = run.catch(() => undefined);
    return run;
  }

  async function runCli(args: string[]) {
    // Only a change to a file the scheduler parses needs a parsing pass (not the controller's
    // state JSON, rewritten next to the DAGs on every results poll).
    if (!syncPaused && (await folderSync.sync()).parsedChanged) dbStale = true;
    // MWAA's scheduler keeps the metadata DB in step with the DAG folder; emulate one pass.
    if (dbStale && args[0] === 'dags') {
      const out = await home.runAfterSchedulerPass(args);
      dbStale = false;
      return out;
    }
    return home.run(args);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req);
    const envMatch = /^\/environments\/([^/]+)$/.exec(url.pathname);
    const tokenMatch = /^\/clitoken\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && envMatch) {
      if (denied.has('airflow:GetEnvironment')) return accessDenied(res, 'airflow:GetEnvironment');
      if (decodeURIComponent(envMatch[1] as string) !== name) return notFound(res, envMatch[1] as string);
      return json(res, 200, environmentDoc());
    }
    if (req.method === 'POST' && tokenMatch) {
      if (denied.has('airflow:CreateCliToken')) return accessDenied(res, 'airflow:CreateCliToken');
      if (decodeURIComponent(tokenMatch[1] as string) !== name) return notFound(res, tokenMatch[1] as string);
      const token = randomBytes(24).toString('base64url');
      tokens.set(token, Date.now() + tokenTtlMs);
      stats.tokensIssued++;
      return json(res, 200, { CliToken: token, WebServerHostname: `127.0.0.1:${port}` });
    }
    if (req.method === 'POST' && url.pathname === '/aws_mwaa/cli') {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const expiresAt = bearer ? tokens.get(bearer) : undefined;
      if (expiresAt === undefined || expiresAt <= Date.now()) {
        if (expiresAt !== undefined) stats.expiredTokenHits++;
        return text(res, 403, 'Forbidden: invalid or expired token');
      }
      let args: string[];
      try {
        args = splitCommandLine(body);
      } catch {
        return text(res, 400, 'Invalid command');
      }
      if (!isAllowListed(args)) {
        stats.rejected.push(body);
        return text(
          res,
          400,
          `Invalid command: ${args.slice(0, 2).join(' ')} is not a supported Airflow CLI command`,
        );
      }
      stats.cliCalls.push(body);
      const out = await queued(() => runCli(args));
      return json(res, 200, {
        stdout: Buffer.from(out.stdout).toString('base64'),
        stderr: Buffer.from(out.stderr).toString('base64'),
      });
    }
    return text(res, 404, 'Not Found');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => text(res, 500, String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    name,
    region,
    dagsFolder: home.dagsFolder,
    setStatus: (s) => {
      status = s;
    },
    setTokenTtlMs: (ms) => {
      tokenTtlMs = ms;
    },
    expireTokens: () => {
      for (const token of tokens.keys()) tokens.set(token, 0);
    },
    setSyncPaused: (paused) => {
      syncPaused = paused;
    },
    deny: (action) => denied.add(action),
    allow: (action) => denied.delete(action),
    stats,
    runPython: (script, args) => queued(() => home.runScript(script, args)),
    runAirflow: (args, env) => queued(() => home.run(args, { env })),
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue;
      await home.remove();
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(body);
}

/** AWS REST-JSON errors: the type in `x-amzn-errortype`, the message in the body. */
function notFound(res: ServerResponse, name: string): void {
  json(
    res,
    404,
    { message: `Environment ${decodeURIComponent(name)} not found` },
    {
      'x-amzn-errortype': 'ResourceNotFoundException',
    },
  );
}

function accessDenied(res: ServerResponse, action: string): void {
  json(
    res,
    403,
    { Message: `User: arn:aws:iam::123456789012:user/test is not authorized to perform: ${action}` },
    { 'x-amzn-errortype': 'AccessDeniedException' },
  );
}
