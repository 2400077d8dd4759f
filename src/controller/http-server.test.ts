import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../test/support/controller-fakes.js';
import { UsageError } from '../shared/errors.js';
import { createControllerServer, listen } from './http-server.js';
import { ControllerMetrics } from './metrics.js';

let server: Server | null = null;
afterEach(async () => {
  const s = server;
  server = null;
  if (s) await new Promise((r) => s.close(r));
});

async function start(opts: { ready?: boolean; webhook?: boolean } = {}) {
  const metrics = new ControllerMetrics({ rateLimitRemaining: () => 4321 });
  const hits: string[] = [];
  server = createControllerServer(
    {
      metrics: () => metrics.render(),
      readiness: () =>
        opts.ready
          ? { ready: true, reasons: [] }
          : { ready: false, reasons: ['no reconcile has finished yet'] },
      ...(opts.webhook
        ? {
            webhook: async (req, res) => {
              if (!req.url?.startsWith('/webhook')) return false;
              hits.push(req.method ?? '');
              res.writeHead(202).end('ok');
              return true;
            },
          }
        : {}),
    },
    memoryLogger().log,
  );
  const port = await listen(server, 0, '127.0.0.1');
  return { base: `http://127.0.0.1:${port}`, metrics, hits };
}

describe('controller HTTP server', () => {
  it('answers /healthz always and /readyz by readiness', async () => {
    const { base } = await start();
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('not ready: no reconcile has finished yet\n');
  });

  it('serves metrics from its own registry in Prometheus text', async () => {
    const { base, metrics } = await start({ ready: true });
    metrics.reconciles.inc({ result: 'success' });
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('backtest_gitops_reconciles_total{result="success"} 1');
    expect(text).toContain('backtest_gitops_github_rate_limit_remaining 4321');
    expect(text).toContain('# TYPE backtest_gitops_reconcile_duration_seconds histogram');
  });

  it('routes /webhook to the webhook handler only when one is configured', async () => {
    const without = await start();
    expect((await fetch(`${without.base}/webhook`, { method: 'POST', body: '{}' })).status).toBe(404);
    const first = server;
    if (first) await new Promise((r) => first.close(r));
    const withHook = await start({ webhook: true });
    expect((await fetch(`${withHook.base}/webhook`, { method: 'POST', body: '{}' })).status).toBe(202);
    expect(withHook.hits).toEqual(['POST']);
  });

  it('keeps two controllers metrics apart (no global registry)', async () => {
    const a = new ControllerMetrics();
    const b = new ControllerMetrics();
    a.reconciles.inc({ result: 'failure' });
    expect((await b.reconciles.get()).values.find((v) => v.labels.result === 'failure')?.value).toBe(0);
  });
});

describe('listen', () => {
  it('reports a port already in use as a usage error naming http.port, not as a bug', async () => {
    const { base } = await start();
    const port = Number(new URL(base).port);
    const second = createControllerServer(
      {
        metrics: async () => ({ contentType: 'text/plain', body: '' }),
        readiness: () => ({ ready: true, reasons: [] }),
      },
      memoryLogger().log,
    );
    const err = await listen(second, port, '127.0.0.1').then(
      () => null,
      (e: unknown) => e,
    );
    second.close();
    expect(err).toBeInstanceOf(UsageError);
    expect(err).toMatchObject({
      message: expect.stringContaining(`127.0.0.1:${port} is already in use`),
      hint: expect.stringContaining('http.port'),
    });
  });
});
