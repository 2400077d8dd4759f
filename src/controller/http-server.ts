import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UsageError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Readiness } from './status.js';

/**
 * The GitHub webhook route (src/github createWebhookHandler): verifies the signature and
 * answers; returns false when the request is not for it.
 */
export type WebhookHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface HttpRoutes {
  metrics(): Promise<{ contentType: string; body: string }>;
  readiness(): Readiness;
  /** Present only when a webhook secret is configured; it triggers reconciles itself. */
  webhook?: WebhookHandler;
}

/**
 * The controller's HTTP surface on plain node:http: /healthz (process alive), /readyz,
 * /metrics (Prometheus text) and POST /webhook.
 */
export function createControllerServer(routes: HttpRoutes, log: Logger): Server {
  const server = createServer((req, res) => {
    // catch-all: one request's failure is logged and answered with a 500; the server goes on.
    handle(req, res, routes).catch((err: unknown) => {
      log.error({ err: { message: (err as Error).message }, path: req.url }, 'http handler failed');
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.end();
    });
  });
  // Longer than the idle timeout of load balancers and ingress controllers (60 s), so the
  // server never closes a kept-alive connection just as a proxy reuses it.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // A request body trickled in slowly would hold one of the webhook's few reading slots:
  // GitHub gives up on a delivery after 10 s, so 30 s for a whole request is plenty.
  server.requestTimeout = 30_000;
  return server;
}

async function handle(req: IncomingMessage, res: ServerResponse, routes: HttpRoutes): Promise<void> {
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
  if (routes.webhook && (await routes.webhook(req, res))) return;
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

/** Listens and resolves with the bound port (0 in config = any free port, for tests). */
export async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const fail = (err: unknown) => reject(listenError(err, port, host));
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** A port in use or not allowed is the operator's setting, not a bug: say which setting. */
function listenError(err: unknown, port: number, host: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE')
    return new UsageError(`cannot listen on ${where}: ${where} is already in use`, HINT, { cause: err });
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL')
    return new UsageError(`cannot listen on ${where} (${code})`, HINT, { cause: err });
  return err;
}

const HINT = 'set http.port / http.host in the controller config (another controller may already run here)';
