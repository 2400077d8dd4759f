import { MwaaError } from '../shared/errors.js';
import { redact } from '../shared/redact.js';
import { commandLine } from './cli-command.js';
import type { MwaaControlPlane } from './mwaa-client.js';

/** What an Airflow CLI command printed. */
export interface CliOutput {
  stdout: string;
  stderr: string;
}

/** Runs one Airflow CLI command (without the leading `airflow`). */
export interface AirflowCliRunner {
  run(args: readonly string[]): Promise<CliOutput>;
}

export interface MwaaCliOptions {
  controlPlane: Pick<MwaaControlPlane, 'createCliToken'>;
  environment: string;
  /** `https` on AWS; `http` for a local fake. */
  scheme?: 'https' | 'http';
  /** Tokens live about 60 s; we stop using one well before that. */
  tokenReuseMs?: number;
  now?: () => number;
}

/**
 * Airflow's CLI as MWAA exposes it: a short-lived token from CreateCliToken, then
 * `POST https://<web server>/aws_mwaa/cli` with the command line as plain text; the answer
 * is JSON whose `stdout` and `stderr` are base64. The token is cached and refreshed before it
 * expires, and once more if the web server rejects it anyway (clock skew, revoked token).
 */
export class MwaaCli implements AirflowCliRunner {
  private token: { value: string; host: string; issuedAt: number } | null = null;
  private readonly now: () => number;
  private readonly reuseMs: number;
  /** CreateCliToken calls made; read by tests and the benchmark. */
  tokensIssued = 0;

  constructor(private readonly options: MwaaCliOptions) {
    this.now = options.now ?? Date.now;
    this.reuseMs = options.tokenReuseMs ?? 45_000;
  }

  async run(args: readonly string[]): Promise<CliOutput> {
    const line = commandLine(args);
    let res = await this.post(line, await this.currentToken());
    if (res.status === 401 || res.status === 403) {
      this.token = null;
      res = await this.post(line, await this.currentToken());
      if (res.status === 401 || res.status === 403) {
        throw new MwaaError(
          `the Airflow web server of MWAA environment '${this.options.environment}' rejected a fresh CLI token (HTTP ${res.status})`,
          {
            code: 'mwaa-token-rejected',
            hint: 'the token may have expired in transit (check the clock) or the role lacks airflow:CreateCliToken on this environment',
          },
        );
      }
    }
    const text = await res.text();
    if (res.status === 400) {
      throw new MwaaError(
        `MWAA refused the Airflow CLI command \`airflow ${args[0] ?? ''} ${args[1] ?? ''}\`: ${text.trim()}`,
        {
          code: 'mwaa-cli-rejected',
          hint: 'MWAA only runs allow-listed Airflow CLI commands (dags list/unpause/trigger, variables, version, ...)',
        },
      );
    }
    if (!res.ok) {
      throw new MwaaError(
        `the MWAA CLI endpoint of '${this.options.environment}' answered HTTP ${res.status} to \`airflow ${line}\`: ${redact(text).slice(0, 500)}`,
        { code: 'mwaa-cli', hint: 'the environment may be restarting; retry in a minute' },
      );
    }
    return decodeCliResponse(text, this.options.environment);
  }

  private async currentToken(): Promise<{ value: string; host: string }> {
    if (this.token && this.now() - this.token.issuedAt < this.reuseMs) return this.token;
    const issuedAt = this.now();
    const { token, webserverHostname } = await this.options.controlPlane.createCliToken(
      this.options.environment,
    );
    this.tokensIssued++;
    this.token = { value: token, host: webserverHostname, issuedAt };
    return this.token;
  }

  private async post(line: string, token: { value: string; host: string }): Promise<Response> {
    const url = `${this.options.scheme ?? 'https'}://${token.host}/aws_mwaa/cli`;
    try {
      return await fetch(url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token.value}`, 'Content-Type': 'text/plain' },
        body: line,
      });
    } catch (err) {
      throw new MwaaError(
        `cannot reach the Airflow web server of MWAA environment '${this.options.environment}' at ${url}`,
        {
          code: 'mwaa-unreachable',
          hint: 'the web server must be reachable from here (public access mode, or run inside the VPC)',
          cause: err,
        },
      );
    }
  }
}

function decodeCliResponse(text: string, environment: string): CliOutput {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new MwaaError(`the MWAA CLI endpoint of '${environment}' answered something that is not JSON`, {
      cause: err,
    });
  }
  const { stdout, stderr } = (body ?? {}) as { stdout?: unknown; stderr?: unknown };
  const decode = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : '');
  return { stdout: decode(stdout), stderr: decode(stderr) };
}
