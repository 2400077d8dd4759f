import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { projectRoot, venvBin } from './python.js';

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface MotoServer {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/** Fake credentials moto accepts; set in the environment of child processes that talk to it. */
export const MOTO_ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
} as const;

/** Set by test/support/global-setup.ts: the main process's moto broker (test/support/moto-broker.ts). */
export const MOTO_BROKER_ENV = 'BACKTEST_GITOPS_TEST_MOTO_BROKER';

/**
 * A real moto_server (S3, Batch, ...) on 127.0.0.1, empty, answering.
 *
 * Inside a vitest run this is the worker slot's shared server (test/support/moto-broker.ts),
 * reset to empty here; its `stop()` is a no-op (the run stops it). A file has it to itself:
 * a worker runs one file at a time. With `env` (e.g. `INITIAL_NO_AUTH_ACTION_COUNT` to make
 * moto check IAM credentials), a `MOTO_*` setting in the environment, or outside vitest, it
 * is a server of its own, started now and stopped by `stop()`.
 */
export async function startMoto(opts: { env?: Record<string, string> } = {}): Promise<MotoServer> {
  const broker = process.env[MOTO_BROKER_ENV];
  const ownSettings =
    Object.keys(opts.env ?? {}).length > 0 || Object.keys(process.env).some((k) => k.startsWith('MOTO_'));
  if (!broker || ownSettings) return startMotoProcess(opts);
  const slot = process.env.VITEST_POOL_ID ?? '0';
  const res = await fetch(`${broker}/?slot=${encodeURIComponent(slot)}`);
  if (!res.ok) throw new Error(`moto broker: ${res.status} ${await res.text()}`);
  const { endpoint, port } = (await res.json()) as { endpoint: string; port: number };
  const reset = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!reset.ok) throw new Error(`moto reset: ${reset.status}`);
  return { endpoint, port, async stop() {} };
}

/**
 * Starts a moto_server process of its own and waits until it answers; `stop()` ends it. It runs
 * through test/support/moto_server.py, which makes S3's conditional writes atomic as on AWS
 * (moto checks If-Match, then writes, without a lock: two writers could both commit).
 */
export async function startMotoProcess(opts: { env?: Record<string, string> } = {}): Promise<MotoServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    venvBin('tools', 'python'),
    [`${projectRoot}test/support/moto_server.py`, '-H', '127.0.0.1', '-p', String(port)],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...MOTO_ENV, ...opts.env },
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited early: ${stderr}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.ok || res.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not start within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    port,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** A real S3 client configured for moto (path style, checksums only when required). */
export function motoS3Client(endpoint: string, retries?: { maxAttempts: number }): S3Client {
  return new S3Client({
    endpoint,
    region: MOTO_ENV.AWS_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: MOTO_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_ENV.AWS_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Through a fault proxy: the SDK's standard retries, as production has them.
    ...(retries ? { retryMode: 'standard', maxAttempts: retries.maxAttempts } : {}),
  });
}
