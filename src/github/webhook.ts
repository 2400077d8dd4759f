import type { IncomingMessage, ServerResponse } from 'node:http';
import { Webhooks } from '@octokit/webhooks';

/** The events that can change what we should report or deploy. */
export type WebhookTrigger = {
  event: 'pull_request' | 'push';
  deliveryId: string;
  action: string | null;
  /** PR number for pull_request events. */
  pullNumber: number | null;
  /** `refs/heads/main` for push events. */
  ref: string | null;
};

export interface WebhookHandlerOptions {
  secret: string;
  /** Called for each verified pull_request / push delivery; should trigger a reconcile. */
  onEvent: (trigger: WebhookTrigger) => void;
  /** Called for every delivery whose signature does not verify (for a metric). */
  onBadSignature?: () => void;
  /** Largest body accepted; GitHub caps payloads at 25 MB. */
  maxBodyBytes?: number;
}

/**
 * A node:http handler for `POST /webhook`: verifies `X-Hub-Signature-256` with
 * @octokit/webhooks over the raw body, then hands pull_request and push deliveries to
 * `onEvent`. Other events are acknowledged and ignored (202), so GitHub does not retry them.
 * Returns false when the request is not for the webhook path (the caller routes it).
 */
export function createWebhookHandler(
  opts: WebhookHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const webhooks = new Webhooks({ secret: opts.secret });
  const maxBytes = opts.maxBodyBytes ?? 25 * 1024 * 1024;
  return async (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/webhook') return false;
    if (req.method !== 'POST') {
      reply(res, 405, 'use POST');
      return true;
    }
    let body: string | null;
    try {
      body = await readBody(req, maxBytes);
    } catch {
      reply(res, 400, 'could not read the request body'); // client went away mid-request
      return true;
    }
    if (body === null) {
      reply(res, 413, 'payload too large');
      return true;
    }
    const signature = header(req, 'x-hub-signature-256');
    const valid = signature !== '' && (await webhooks.verify(body, signature).catch(() => false));
    if (!valid) {
      opts.onBadSignature?.();
      reply(res, 401, 'bad signature');
      return true;
    }
    const event = header(req, 'x-github-event');
    if (event !== 'pull_request' && event !== 'push') {
      reply(res, 202, `ignored event ${event || '(none)'}`);
      return true;
    }
    let payload: { action?: string; number?: number; ref?: string };
    try {
      payload = JSON.parse(body) as typeof payload;
    } catch {
      reply(res, 400, 'body is not JSON');
      return true;
    }
    opts.onEvent({
      event,
      deliveryId: header(req, 'x-github-delivery'),
      action: typeof payload.action === 'string' ? payload.action : null,
      pullNumber: typeof payload.number === 'number' ? payload.number : null,
      ref: typeof payload.ref === 'string' ? payload.ref : null,
    });
    reply(res, 202, 'reconcile triggered');
    return true;
  };
}

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

function reply(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message }));
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
