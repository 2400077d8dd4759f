import { createHmac, randomUUID } from 'node:crypto';

/**
 * Sends a webhook delivery the way GitHub does: JSON body, `X-GitHub-Event`,
 * `X-GitHub-Delivery` and `X-Hub-Signature-256` (HMAC-SHA256 of the body with the secret).
 * Pass `secret: null` to send an unsigned delivery.
 */
export async function deliverWebhook(opts: {
  url: string;
  secret: string | null;
  event: 'pull_request' | 'push' | 'ping' | string;
  payload: unknown;
}): Promise<Response> {
  const body = JSON.stringify(opts.payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/test',
    'x-github-event': opts.event,
    'x-github-delivery': randomUUID(),
  };
  if (opts.secret !== null) {
    headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', opts.secret).update(body).digest('hex')}`;
  }
  return fetch(opts.url, { method: 'POST', headers, body });
}
