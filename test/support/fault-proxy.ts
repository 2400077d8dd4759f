import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request seen by the proxy, classified as an S3 call (path-style URLs). */
export interface ProxiedRequest {
  /** 1-based arrival number. */
  n: number;
  method: string;
  bucket: string;
  /** Object key (URL-decoded), '' for bucket-level calls. */
  key: string;
  query: string;
  /** The request's If-Match header (a conditional write's expected ETag), if any. */
  ifMatch?: string;
  /**
   * `manifest` = the backtest-gitops manifest (its root), `shard` = one of its entry shards,
   * `object` = any other key, `bucket` = bucket-level (LIST, ...).
   */
  kind: 'manifest' | 'shard' | 'object' | 'bucket' | 'other';
  /** Injected fault, if any. */
  fault?: '5xx' | 'drop-before' | 'drop-after';
  status?: number;
  /** Request body bytes (what a PUT uploads). */
  bytes: number;
  /** Response body bytes relayed to the client (what a GET downloads); 0 until answered. */
  responseBytes: number;
}

export interface FaultSettings {
  /** Share of requests answered with a 500/503 S3 error instead of being forwarded. */
  errorRate?: number;
  /** Share of requests whose connection is dropped: half before forwarding, half after (outcome unknown to the client). */
  dropRate?: number;
  /**
   * Each forwarded request waits a random 0..delayMs ms first (its own seeded PRNG, so the
   * fault sequence is unchanged): concurrent clients' requests reach S3 in varying orders.
   */
  delayMs?: number;
  /** Only requests this returns true for may get a fault (default: all but /moto-api). */
  filter?: (r: ProxiedRequest) => boolean;
}

export interface FaultProxyOptions extends FaultSettings {
  /** Upstream S3 endpoint (moto), e.g. http://127.0.0.1:5000. */
  upstream: string;
  /** PRNG seed: the same seed gives the same fault sequence for the same request order. */
  seed?: number;
  /**
   * Called when a request arrives, before any fault. Return 'drop' to drop the connection
   * without forwarding, or 'drop-after' to let S3 execute it and then drop the connection
   * (e.g. to kill the client process before or after a write took effect in a crash test).
   */
  onRequest?: (r: ProxiedRequest) => 'drop' | 'drop-after' | undefined;
  /** Called after the upstream answered and the answer was relayed (or dropped). */
  onResponse?: (r: ProxiedRequest) => void;
}

export interface FaultProxy {
  endpoint: string;
  /** Every request in arrival order. */
  readonly log: ProxiedRequest[];
  /** Requests counted by `METHOD kind`, e.g. `{ 'GET manifest': 1, 'PUT object': 3 }`; optionally since a log index. */
  counts(since?: number): Record<string, number>;
  /** Replaces the fault settings; `seed` restarts the PRNG so the next faults are reproducible. */
  setFaults(f: FaultSettings & { seed?: number }): void;
  /** Clears the log (and counts). */
  reset(): void;
  stop(): Promise<void>;
}

const MANIFEST_SUFFIX = '.backtest-gitops/manifest.json';
const SHARD_FOLDER = '.backtest-gitops/manifest-shards/';

/**
 * A small, seeded, deterministic HTTP proxy in front of an S3 server. It counts requests by
 * method and kind, and can inject 5xx answers and dropped connections (before the request
 * reaches S3, or after S3 executed it, so the client cannot know whether a write happened).
 */
export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(opts.upstream);
  let settings: FaultSettings = { errorRate: opts.errorRate ?? 0, dropRate: opts.dropRate ?? 0 };
  if (opts.filter) settings.filter = opts.filter;
  if (opts.delayMs) settings.delayMs = opts.delayMs;
  let random = mulberry32(opts.seed ?? 1);
  let delays = mulberry32((opts.seed ?? 1) ^ 0x5bd1e995);
  const log: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const r = classify(log.length + 1, req, body.length);
    log.push(r);
    const decision = opts.onRequest?.(r);
    if (decision === 'drop') {
      r.fault = 'drop-before';
      req.socket.destroy();
      return;
    }
    if (decision === 'drop-after') {
      forward(req, body, res, r, true);
      return;
    }
    const faultable =
      !r.key.startsWith('moto-api') && r.bucket !== 'moto-api' && (settings.filter?.(r) ?? true);
    // Only faultable requests draw from the PRNG, so a filtered fault sequence does not depend
    // on how many other requests came first.
    const roll = faultable ? random() : 1;
    const errorRate = settings.errorRate ?? 0;
    const dropRate = settings.dropRate ?? 0;
    if (faultable && roll < errorRate) {
      r.fault = '5xx';
      r.status = roll < errorRate / 2 ? 500 : 503;
      const code = r.status === 500 ? 'InternalError' : 'SlowDown';
      res.writeHead(r.status, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected</Message></Error>`,
      );
      opts.onResponse?.(r);
      return;
    }
    if (faultable && roll < errorRate + dropRate / 2) {
      r.fault = 'drop-before';
      req.socket.destroy();
      return;
    }
    const dropAfter = faultable && roll < errorRate + dropRate;
    if (faultable && settings.delayMs)
      await new Promise((w) => setTimeout(w, delays() * (settings.delayMs ?? 0)));
    forward(req, body, res, r, dropAfter);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  function forward(
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
    r: ProxiedRequest,
    dropAfter: boolean,
  ) {
    const up = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'content-length': String(body.length) },
      },
      (upRes) => {
        const chunks: Buffer[] = [];
        upRes.on('data', (c: Buffer) => chunks.push(c));
        upRes.on('end', () => {
          r.status = upRes.statusCode ?? 0;
          if (dropAfter) {
            r.fault = 'drop-after';
            req.socket.destroy();
          } else {
            const answer = Buffer.concat(chunks);
            r.responseBytes = answer.length;
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            res.end(answer);
          }
          opts.onResponse?.(r);
        });
      },
    );
    up.on('error', () => req.socket.destroy());
    up.end(body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    log,
    counts(since = 0) {
      const out: Record<string, number> = {};
      for (const r of log.slice(since))
        out[`${r.method} ${r.kind}`] = (out[`${r.method} ${r.kind}`] ?? 0) + 1;
      return out;
    },
    setFaults(f) {
      settings = { ...f };
      if (f.seed !== undefined) {
        random = mulberry32(f.seed);
        delays = mulberry32(f.seed ^ 0x5bd1e995);
      }
    },
    reset() {
      log.length = 0;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function classify(n: number, req: IncomingMessage, bytes: number): ProxiedRequest {
  const url = new URL(req.url ?? '/', 'http://proxy');
  const [bucket = '', ...rest] = url.pathname.replace(/^\//, '').split('/');
  const key = decodeURIComponent(rest.join('/'));
  const kind =
    bucket === ''
      ? 'other'
      : key === ''
        ? 'bucket'
        : key.endsWith(MANIFEST_SUFFIX)
          ? 'manifest'
          : key.includes(SHARD_FOLDER)
            ? 'shard'
            : 'object';
  const ifMatch = req.headers['if-match'];
  return {
    n,
    method: req.method ?? 'GET',
    bucket,
    key,
    query: url.search,
    kind,
    bytes,
    responseBytes: 0,
    ...(typeof ifMatch === 'string' ? { ifMatch } : {}),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Tiny seeded PRNG (mulberry32): deterministic fault sequences without a dependency. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
