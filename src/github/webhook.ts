import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

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
  /** Called for each verified, new pull_request / push delivery; should trigger a reconcile. */
  onEvent: (trigger: WebhookTrigger) => void;
  /** Called for every delivery refused for its signature (missing or wrong), for a metric. */
  onBadSignature?: () => void;
  /** Called for a verified delivery dropped as a repeat (same delivery id or same signed body). */
  onDuplicate?: (deliveryId: string) => void;
  /** Largest body accepted; GitHub caps payloads at 25 MB. Bodies are hashed, never held whole. */
  maxBodyBytes?: number;
  /** Requests read at once; more are answered 503 at once (GitHub's deliveries come one by one). */
  maxConcurrent?: number;
  /** Delivery ids and body signatures remembered to drop repeats. */
  rememberDeliveries?: number;
}

/** GitHub documents a 25 MB cap on webhook payloads. */
export const WEBHOOK_MAX_BODY_BYTES = 25 * 1024 * 1024;
/** Only the start of a payload is kept, to name the action, PR number or ref in the log. */
const PREFIX_BYTES = 64 * 1024;
const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

/**
 * A node:http handler for `POST /webhook`. Work is bounded for any request: one without a
 * well-formed `X-Hub-Signature-256` or with a declared length over the cap is refused before
 * its body is read; the body is hashed as it streams (HMAC-SHA256, compared in constant time)
 * and only its first 64 KiB is kept; at most `maxConcurrent` bodies are read at once. Verified
 * pull_request and push deliveries reach `onEvent` once: a repeated delivery id or a replayed
 * body (same signature) is acknowledged and dropped. Other events are acknowledged (202) and
 * ignored. Returns false when the request is not for the webhook path (the caller routes it).
 */
export function createWebhookHandler(
  opts: WebhookHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const maxBytes = opts.maxBodyBytes ?? WEBHOOK_MAX_BODY_BYTES;
  const maxConcurrent = opts.maxConcurrent ?? 16;
  const seen = new RecentSet(opts.rememberDeliveries ?? 1000);
  let reading = 0;
  return async (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/webhook') return false;
    if (req.method !== 'POST') return refuse(res, 405, 'use POST');
    const signature = SIGNATURE.exec(header(req, 'x-hub-signature-256'))?.[1];
    if (!signature) {
      opts.onBadSignature?.();
      return refuse(res, 401, 'missing or malformed X-Hub-Signature-256');
    }
    const declared = Number(header(req, 'content-length') || 0);
    if (declared > maxBytes) return refuse(res, 413, 'payload too large');
    if (reading >= maxConcurrent) return refuse(res, 503, 'too many deliveries at once', true);
    reading += 1;
    let body: { digest: Buffer; prefix: string } | 'too-large' | 'aborted';
    try {
      body = await hashBody(req, opts.secret, maxBytes);
    } finally {
      reading -= 1;
    }
    if (body === 'aborted') return refuse(res, 400, 'could not read the request body');
    if (body === 'too-large') return refuse(res, 413, 'payload too large');
    const expected = Buffer.from(signature, 'hex');
    if (!timingSafeEqual(body.digest, expected)) {
      opts.onBadSignature?.();
      reply(res, 401, 'bad signature');
      return true;
    }
    // Header values reach logs and reconcile reasons: GitHub's are short, keep them so.
    const event = header(req, 'x-github-event').slice(0, 64);
    const deliveryId = header(req, 'x-github-delivery').slice(0, 64);
    // After the signature holds (so a forger cannot fill the memory), and by the signed body
    // too: the delivery id header is not signed, a replay may carry a fresh one.
    const repeat = seen.has(`sig:${signature}`) || (deliveryId !== '' && seen.has(`id:${deliveryId}`));
    seen.add(`sig:${signature}`);
    if (deliveryId) seen.add(`id:${deliveryId}`);
    if (repeat) {
      opts.onDuplicate?.(deliveryId);
      reply(res, 200, 'duplicate delivery ignored');
      return true;
    }
    if (event !== 'pull_request' && event !== 'push') {
      reply(res, 202, `ignored event ${event || '(none)'}`);
      return true;
    }
    opts.onEvent({ event, deliveryId, ...fieldsOf(body.prefix) });
    reply(res, 202, 'reconcile triggered');
    return true;
  };
}

/** HMAC of the whole body and its first bytes; 'too-large' as soon as it passes the cap. */
async function hashBody(
  req: IncomingMessage,
  secret: string,
  maxBytes: number,
): Promise<{ digest: Buffer; prefix: string } | 'too-large' | 'aborted'> {
  const hmac = createHmac('sha256', secret);
  const head: Buffer[] = [];
  let kept = 0;
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) return 'too-large';
      hmac.update(chunk);
      if (kept < PREFIX_BYTES) {
        const part = chunk.subarray(0, PREFIX_BYTES - kept);
        head.push(Buffer.from(part)); // a copy: the prefix must not pin the whole chunk
        kept += part.length;
      }
    }
  } catch (err) {
    // The client went away mid-request: node ends the body stream with ECONNRESET ("aborted").
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') return 'aborted';
    throw err;
  }
  return { digest: hmac.digest(), prefix: Buffer.concat(head).toString('utf8') };
}

/** Action, PR number and ref, from the whole payload when it fits the prefix, else from its start. */
function fieldsOf(prefix: string): Pick<WebhookTrigger, 'action' | 'pullNumber' | 'ref'> {
  let payload: { action?: unknown; number?: unknown; ref?: unknown } = {};
  try {
    payload = JSON.parse(prefix) as typeof payload;
  } catch {
    // Longer than the prefix (or not JSON): GitHub writes these top-level keys first.
    payload = {
      action: /^\{\s*"action"\s*:\s*"([^"\\]{1,64})"/.exec(prefix)?.[1],
      number: Number(
        /^\{\s*"action"\s*:\s*"[^"\\]*"\s*,\s*"number"\s*:\s*(\d{1,9})/.exec(prefix)?.[1] ?? Number.NaN,
      ),
      ref: /^\{\s*"ref"\s*:\s*"([^"\\]{1,255})"/.exec(prefix)?.[1],
    };
  }
  return {
    action: typeof payload.action === 'string' ? payload.action.slice(0, 64) : null,
    pullNumber:
      typeof payload.number === 'number' && Number.isInteger(payload.number) ? payload.number : null,
    ref: typeof payload.ref === 'string' ? payload.ref.slice(0, 255) : null,
  };
}

/** Answers without reading the body; `connection: close` makes node:http drop the connection after it. */
function refuse(res: ServerResponse, status: number, message: string, retry = false): true {
  res.writeHead(status, {
    'content-type': 'application/json',
    connection: 'close',
    ...(retry ? { 'retry-after': '1' } : {}),
  });
  res.end(JSON.stringify({ message }));
  return true;
}

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

function reply(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message }));
}

/** A set that forgets its oldest entries beyond `capacity` (insertion order). */
class RecentSet {
  private readonly items = new Set<string>();
  constructor(private readonly capacity: number) {}
  has(key: string): boolean {
    return this.items.has(key);
  }
  add(key: string): void {
    this.items.delete(key);
    this.items.add(key);
    if (this.items.size > this.capacity) {
      const oldest = this.items.values().next().value;
      if (oldest !== undefined) this.items.delete(oldest);
    }
  }
}
