import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../shared/logger.js';
import type { Readiness } from './status.js';

/** A webhook delivery as received: raw body (for the HMAC) and the headers GitHub sends. */
export interface WebhookDelivery {
  body: string;
  headers: Record<string, string | undefined>;
}

/** Verifies and interprets a delivery; `trigger` says whether a reconcile should run now. */
export type WebhookReceiver = (
  delivery: WebhookDelivery,
) => Promise<{ status: number; message: string; trigger: boolean; reason?: string }>;

export interface HttpRoutes {
  metrics(): Promise<{ contentType: string; body: string }>;
  readiness(): Readiness;
  /** Present only when a webhook secret is configured. */
  webhook?: WebhookReceiver;
  /** Called when a verified webhook asks for a reconcile. */
  trigger(reason: string): void;
}

const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024; // GitHub caps payloads at 25 MB.

/**
 * The controller's HTTP surface on plain node:http: /healthz (process alive), /readyz,
 * /metrics (Prometheus text) and POST /webhook.
 */
export function createControllerServer(routes: HttpRoutes, log: Logger): Server {
  return createServer((req, res) => {
    handle(req, res, routes, log).catch((err: unknown) => {
      log.error({ err: { message: (err as Error).message }, path: req.url }, 'http handler failed');
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.end();
    });
  });
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  routes: HttpRoutes,
  log: Logger,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/healthz') return send(res, 200, 'ok\n');
  if (path === '/readyz') {
    const r = routes.readiness();
    return send(res, r.ready ? 200 : 503, r.ready ? 'ready\n' : `not ready: ${r.reasons.join('; ')}\n`);
  }
  if (path === '/metrics') {
    const { contentType, body } = await routes.metrics();
    return send(res, 200, body, contentType);
  }
  if (path === '/webhook' && routes.webhook) {
    if (req.method !== 'POST') return send(res, 405, 'use POST\n', 'text/plain', { allow: 'POST' });
    const body = await readBody(req, MAX_WEBHOOK_BYTES);
    if (body === null) return send(res, 413, 'payload too large\n');
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(',') : v;
    const verdict = await routes.webhook({ body, headers });
    log.info(
      {
        event: headers['x-github-event'],
        delivery: headers['x-github-delivery'],
        status: verdict.status,
        trigger: verdict.trigger,
      },
      `webhook: ${verdict.message}`,
    );
    if (verdict.trigger)
      routes.trigger(verdict.reason ?? `webhook:${headers['x-github-event'] ?? 'unknown'}`);
    return send(res, verdict.status, `${verdict.message}\n`);
  }
  send(res, 404, 'not found\n');
}

function send(
  res: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
  extra: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', ...extra });
  res.end(body);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Listens and resolves with the bound port (0 in config = any free port, for tests). */
export async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
