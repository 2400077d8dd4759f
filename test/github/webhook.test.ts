import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
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

function send(event: string, payload: unknown, signature?: string) {
  const body = JSON.stringify(payload);
  const sig = signature ?? `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  return fetch(`${url}/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': 'd-1',
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
      { event: 'push', deliveryId: 'd-1', action: null, pullNumber: null, ref: 'refs/heads/main' },
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
        headers: { 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00' },
        body: 'x'.repeat(64 * 1024),
      });
      expect(res.status).toBe(413);
    } finally {
      small.closeAllConnections();
      await new Promise<void>((resolve) => small.close(() => resolve()));
    }
  });
});
