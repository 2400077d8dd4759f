import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MwaaCli } from '../../src/mwaa/airflow-cli.js';
import { MwaaError } from '../../src/shared/errors.js';

// The web server side of MWAA's CLI, reduced to what the token handling needs.
let server: Server;
let host: string;
const valid = new Set<string>();
const requests: { auth: string; type: string; body: string }[] = [];
let answer: 'ok' | 'expire-once' | 'always-403' | 'reject' = 'ok';

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const auth = req.headers.authorization ?? '';
      requests.push({ auth, type: req.headers['content-type'] ?? '', body });
      const token = auth.replace(/^Bearer /, '');
      if (answer === 'reject') {
        res.writeHead(400).end('Invalid command');
        return;
      }
      if (answer === 'always-403' || !valid.has(token)) {
        res.writeHead(403).end('Forbidden');
        return;
      }
      if (answer === 'expire-once') {
        valid.delete(token);
        answer = 'ok';
        res.writeHead(401).end('token expired');
        return;
      }
      const b64 = (s: string) => Buffer.from(s).toString('base64');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ stdout: b64(`ran: ${body}\n`), stderr: b64('') }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

function makeCli() {
  let t = 0;
  let issued = 0;
  const cli = new MwaaCli({
    controlPlane: {
      createCliToken: async () => {
        const token = `token-${++issued}`;
        valid.add(token);
        return { token, webserverHostname: host };
      },
    },
    environment: 'prod',
    scheme: 'http',
    now: () => t,
  });
  return {
    cli,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('MwaaCli', () => {
  it('posts the quoted command line as text/plain with the bearer token and decodes base64 output', async () => {
    answer = 'ok';
    const { cli } = makeCli();
    const out = await cli.run(['variables', 'set', 'batch_job_queue', 'my queue']);
    expect(out).toEqual({ stdout: "ran: variables set batch_job_queue 'my queue'\n", stderr: '' });
    expect(requests.at(-1)).toMatchObject({ auth: 'Bearer token-1', type: 'text/plain' });
  });

  it('reuses a token while it is fresh and fetches a new one before it expires', async () => {
    answer = 'ok';
    const { cli, advance } = makeCli();
    await cli.run(['version']);
    advance(30_000);
    await cli.run(['version']);
    expect(cli.tokensIssued).toBe(1);
    advance(20_000);
    await cli.run(['version']);
    expect(cli.tokensIssued).toBe(2);
  });

  it('refreshes once and retries when the web server says the token expired', async () => {
    const { cli } = makeCli();
    await cli.run(['version']);
    answer = 'expire-once';
    const out = await cli.run(['dags', 'list', '-o', 'json']);
    expect(out.stdout).toBe('ran: dags list -o json\n');
    expect(cli.tokensIssued).toBe(2);
  });

  it('gives up with a clear error when a fresh token is refused too', async () => {
    answer = 'always-403';
    const { cli } = makeCli();
    const err = await cli.run(['version']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MwaaError);
    expect((err as MwaaError).code).toBe('mwaa-token-rejected');
    expect(cli.tokensIssued).toBe(2);
  });

  it('reports a command MWAA refuses', async () => {
    answer = 'reject';
    const { cli } = makeCli();
    const err = await cli.run(['db', 'reset']).catch((e: unknown) => e);
    expect((err as MwaaError).code).toBe('mwaa-cli-rejected');
    expect((err as MwaaError).message).toContain('`airflow db reset`');
  });
});
