import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type MotoServer, startMotoProcess } from './moto.js';

/**
 * Owned by the vitest main process (test/support/global-setup.ts): one moto_server per worker
 * slot (`VITEST_POOL_ID`), started on the first request from that slot and reused by every
 * later file of the slot, stopped when the run ends. A worker runs one file at a time, so a
 * file has its slot's server to itself; `startMoto()` resets it first (every bucket, object
 * and Batch resource gone), so files stay as isolated as with a server each, without paying
 * moto's start (Python + moto import, seconds) per file.
 */
export interface MotoBroker {
  url: string;
  stop(): Promise<void>;
}

export async function startMotoBroker(): Promise<MotoBroker> {
  const servers = new Map<string, Promise<MotoServer>>();
  const server: Server = createServer((req, res) => {
    const slot = new URL(req.url ?? '/', 'http://localhost').searchParams.get('slot') ?? '0';
    let moto = servers.get(slot);
    if (!moto) {
      moto = startMotoProcess();
      servers.set(slot, moto);
      // A server that failed to start is started again by the next request.
      moto.catch(() => servers.delete(slot));
    }
    moto.then(
      (m) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ endpoint: m.endpoint, port: m.port }));
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const all = await Promise.allSettled(servers.values());
      await Promise.all(all.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    },
  };
}
