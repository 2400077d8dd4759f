import { createHmac } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookHandler, type WebhookTrigger } from '../../src/github/webhook.js';

const SECRET = 'webhook-secret-for-tests';
const triggers: WebhookTrigger[] = [];
let badSignatures = 0;
let server: Server;
let url: string;

beforeAll(async () => {
  const handler = createWebhookHandler({
    secret: SECRET,
    onEvent: (t) => triggers.push(t),
    onBadSignature: () => {
      badSignatures += 1;
    },
  });
  server = createServer((req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

let deliveries = 0;
function send(event: string, payload: unknown, signature?: string, deliveryId = `d-${++deliveries}`) {
  const body = JSON.stringify(payload);
  const sig = signature ?? `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  return fetch(`${url}/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': sig,
    },
    body,
  });
}

describe('webhook receiver', () => {
  it('accepts signed pull_request and push deliveries and triggers a reconcile', async () => {
    expect((await send('pull_request', { action: 'synchronize', number: 7 })).status).toBe(202);
    expect((await send('push', { ref: 'refs/heads/main' })).status).toBe(202);
    expect(triggers).toEqual([
      { event: 'pull_request', deliveryId: 'd-1', action: 'synchronize', pullNumber: 7, ref: null },
      { event: 'push', deliveryId: 'd-2', action: null, pullNumber: null, ref: 'refs/heads/main' },
    ]);
  });

  it('rejects bad or missing signatures with 401 and counts them', async () => {
    const before = triggers.length;
    expect((await send('push', { ref: 'x' }, 'sha256=deadbeef')).status).toBe(401);
    const unsigned = await fetch(`${url}/webhook`, {
      method: 'POST',
      headers: { 'x-github-event': 'push' },
      body: '{}',
    });
    expect(unsigned.status).toBe(401);
    expect(badSignatures).toBe(2);
    expect(triggers.length).toBe(before);
  });

  it('acknowledges other events without a reconcile, and leaves other paths to the caller', async () => {
    const before = triggers.length;
    expect((await send('issues', { action: 'opened' })).status).toBe(202);
    expect(triggers.length).toBe(before);
    expect((await fetch(`${url}/healthz`)).status).toBe(404);
    expect((await fetch(`${url}/webhook`)).status).toBe(405);
  });
});

describe('webhook receiver body limit', () => {
  it('answers 413 to a body over the limit (the client gets the answer, not a reset)', async () => {
    const handler = createWebhookHandler({ secret: SECRET, onEvent: () => {}, maxBodyBytes: 1024 });
    const small = createServer((req, res) => {
      void handler(req, res);
    });
    await new Promise<void>((resolve) => small.listen(0, '127.0.0.1', resolve));
    try {
      const port = (small.address() as AddressInfo).port;
      const res = await fetch(`http://127.0.0.1:${port}/webhook`, {
        method: 'POST',
        headers: { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
        body: 'x'.repeat(64 * 1024),
      });
      expect(res.status).toBe(413);
    } finally {
      small.closeAllConnections();
      await new Promise<void>((resolve) => small.close(() => resolve()));
    }
  });
});

describe('webhook receiver under attack', () => {
  /** Sends headers (and optionally part of a body) on a raw connection; resolves with the status GitHub's client would see. */
  function rawPost(
    port: number,
    headers: Record<string, string | number>,
    body: Buffer | null,
  ): Promise<{ status: number; bodySent: number }> {
    return new Promise((resolve, reject) => {
      let sent = 0;
      const req = request(
        { host: '127.0.0.1', port, path: '/webhook', method: 'POST', agent: false, headers },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, bodySent: sent }));
        },
      );
      req.on('error', reject);
      req.flushHeaders();
      if (body) {
        sent = body.length;
        req.write(body);
      }
      // The rest of the body is never sent: an answer proves the server did not wait for it.
    });
  }

  async function withHandler<T>(
    opts: Partial<Parameters<typeof createWebhookHandler>[0]>,
    fn: (port: number, seen: WebhookTrigger[]) => Promise<T>,
  ): Promise<T> {
    const seen: WebhookTrigger[] = [];
    const handler = createWebhookHandler({ secret: SECRET, onEvent: (t) => seen.push(t), ...opts });
    const srv = createServer((req, res) => {
      void handler(req, res);
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    try {
      return await fn((srv.address() as AddressInfo).port, seen);
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    }
  }

  it('a client that goes away mid-body ends the request quietly: no trigger, no handler failure', async () => {
    const seen: WebhookTrigger[] = [];
    const handler = createWebhookHandler({ secret: SECRET, onEvent: (t) => seen.push(t) });
    let settled: (outcome: unknown) => void = () => {};
    const outcome = new Promise((resolve) => {
      settled = resolve;
    });
    let arrived: () => void = () => {};
    const arrival = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const aborting = createServer((req, res) => {
      arrived();
      handler(req, res).then(
        (handled) => settled({ handled }),
        (err: unknown) => settled({ err }),
      );
    });
    await new Promise<void>((resolve) => aborting.listen(0, '127.0.0.1', resolve));
    try {
      const port = (aborting.address() as AddressInfo).port;
      const client = request({
        port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/webhook',
        headers: {
          'content-length': '100000',
          'x-github-event': 'push',
          'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
        },
      });
      client.on('error', () => {}); // ours: the socket we destroy
      client.write('{"ref": "refs/heads/main"');
      // Gone once the server has the request: its body stream then ends with ECONNRESET.
      await arrival;
      client.destroy();
      expect(await outcome).toEqual({ handled: true });
      expect(seen).toEqual([]);
    } finally {
      aborting.closeAllConnections();
      await new Promise<void>((resolve) => aborting.close(() => resolve()));
    }
  });

  it('refuses a request without X-Hub-Signature-256 before reading its body', async () => {
    await withHandler({}, async (port) => {
      const res = await rawPost(
        port,
        { 'content-type': 'application/json', 'content-length': 24 * 1024 * 1024, 'x-github-event': 'push' },
        null,
      );
      expect(res).toEqual({ status: 401, bodySent: 0 });
    });
  });

  it('refuses a declared length over the cap before reading, and a streamed one once it passes the cap', async () => {
    await withHandler({ maxBodyBytes: 1024 }, async (port) => {
      const sig = { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}`, 'x-github-event': 'push' };
      expect(await rawPost(port, { ...sig, 'content-length': 2048 }, null)).toEqual({
        status: 413,
        bodySent: 0,
      });
      const chunked = await rawPost(
        port,
        { ...sig, 'transfer-encoding': 'chunked' },
        Buffer.alloc(4096, 'x'),
      );
      expect(chunked.status).toBe(413);
    });
  });

  it('reads at most maxConcurrent bodies at once; the next is answered 503 at once', async () => {
    await withHandler({ maxConcurrent: 2 }, async (port) => {
      const slow = {
        'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
        'x-github-event': 'push',
        'content-length': 100,
      };
      const held = [0, 1].map(() => {
        const req = request({
          host: '127.0.0.1',
          port,
          path: '/webhook',
          method: 'POST',
          agent: false,
          headers: slow,
        });
        req.on('error', () => {});
        req.flushHeaders();
        req.write('{');
        return req;
      });
      await new Promise((r) => setTimeout(r, 200));
      expect((await rawPost(port, slow, null)).status).toBe(503);
      for (const req of held) req.destroy();
    });
  });

  it('drops a replay: the same signed body under a new delivery id, or a repeated delivery id', async () => {
    await withHandler({}, async (port, seen) => {
      const body = JSON.stringify({ ref: 'refs/heads/main' });
      const post = (id: string, payload = body) =>
        fetch(`http://127.0.0.1:${port}/webhook`, {
          method: 'POST',
          headers: {
            'x-github-event': 'push',
            'x-github-delivery': id,
            'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(payload).digest('hex')}`,
          },
          body: payload,
        });
      expect((await post('a')).status).toBe(202);
      for (let i = 0; i < 50; i += 1) expect((await post(`replay-${i}`)).status).toBe(200);
      const other = JSON.stringify({ ref: 'refs/heads/main', after: 'x' });
      expect((await post('a', other)).status).toBe(200);
      expect(seen.map((t) => t.deliveryId)).toEqual(['a']);
    });
  });

  it('names action, PR number and ref from the start of a payload larger than what it keeps', async () => {
    await withHandler({}, async (port, seen) => {
      const payload = JSON.stringify({ action: 'synchronize', number: 12, filler: 'x'.repeat(200_000) });
      const res = await fetch(`http://127.0.0.1:${port}/webhook`, {
        method: 'POST',
        headers: {
          'x-github-event': 'pull_request',
          'x-github-delivery': 'big',
          'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(payload).digest('hex')}`,
        },
        body: payload,
      });
      expect(res.status).toBe(202);
      expect(seen).toEqual([
        { event: 'pull_request', deliveryId: 'big', action: 'synchronize', pullNumber: 12, ref: null },
      ]);
    });
  });
});
