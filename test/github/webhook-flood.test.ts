import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtestConfig } from '../controller/fixtures.js';
import { createGitRemote, type GitRemoteFixture } from '../support/github-server/index.js';
import {
  type LogLine,
  type ServeProcess,
  startServe,
  writeTestControllerConfig,
} from '../support/serve-process.js';

/**
 * Floods `backtestctl serve`'s webhook as an attacker would: 24 MB bodies without a
 * signature, 24 MB bodies with a wrong one, a captured delivery replayed, and a burst of
 * distinct valid deliveries. Memory stays flat (bodies are hashed as they stream, never
 * held), replays are dropped, and reconciles never overlap, one running and one queued.
 */
const SECRET = 'whsec-flood-test-0123456789abcdef';
const BIG = 24 * 1024 * 1024;
const CONCURRENT = 12;

let remote: GitRemoteFixture;
let dir: string;
let serve: ServeProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'btg-flood-'));
  remote = createGitRemote();
  remote.commit({ 'backtests/alpha.yaml': backtestConfig(1) });
  remote.push('main');
  const config = writeTestControllerConfig(dir, {
    repoUrl: remote.bareDir,
    target: './out',
    schedule: '0 0 1 1 *', // only start-up and webhooks reconcile during the test
  });
  serve = await startServe(config, { BACKTEST_GITOPS_WEBHOOK_SECRET: SECRET });
  await serve.waitFor((l) => l.msg === 'reconcile finished');
}, 120_000);

afterAll(async () => {
  await serve?.stop('SIGKILL');
  remote?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Resident memory of the controller now and at its peak (Linux /proc), in MiB. */
function memory(): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${serve.child.pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: Math.round(kib('VmRSS') / 1024), peak: Math.round(kib('VmHWM') / 1024) };
}

/** POSTs `size` bytes to /webhook; resolves with the status, or 0 when the server dropped the upload. */
function post(headers: Record<string, string>, body: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: serve.port,
        path: '/webhook',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': body.length, ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

const sign = (body: Buffer | string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
const started = (l: LogLine) => l.msg === 'reconcile started';
const finished = (l: LogLine) => l.msg === 'reconcile finished';

describe('webhook flood against the serve process', () => {
  it(`${CONCURRENT} concurrent 24 MB uploads, unsigned and wrongly signed: refused, memory flat`, async () => {
    const before = memory();
    const junk = Buffer.alloc(BIG, 'x');
    const unsigned = await Promise.all(
      Array.from({ length: CONCURRENT }, () => post({ 'x-github-event': 'push' }, junk)),
    );
    const forged = await Promise.all(
      Array.from({ length: CONCURRENT }, (_, i) =>
        post(
          { 'x-github-event': 'push', 'x-github-delivery': `f-${i}`, 'x-hub-signature-256': sign('other') },
          junk,
        ),
      ),
    );
    const after = memory();
    // Unsigned: answered 401 before the body (or the connection closed under the upload).
    expect(unsigned.every((s) => s === 401 || s === 0)).toBe(true);
    expect(unsigned.filter((s) => s === 401).length).toBeGreaterThan(0);
    // Wrongly signed: read (hashed) in full, at most 16 at once, then 401.
    expect(forged.every((s) => s === 401 || s === 503)).toBe(true);
    const growth = after.peak - before.peak;
    process.stdout.write(
      `\nwebhook flood: ${CONCURRENT} unsigned + ${CONCURRENT} forged 24 MB POSTs; controller RSS ${before.rss} MiB → peak ${after.peak} MiB (+${growth})\n`,
    );
    // 24 bodies of 24 MB held would be 576 MB; a streamed hash holds a few chunks.
    expect(growth).toBeLessThan(100);
    expect(serve.lines().filter(started)).toHaveLength(1); // only the start-up reconcile
  }, 300_000);

  it('a captured delivery replayed 200 times under fresh delivery ids: one reconcile', async () => {
    const from = serve.lines().length;
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'a'.repeat(40) });
    const statuses: number[] = [];
    for (let i = 0; i < 200; i += 1) {
      statuses.push(
        await post(
          { 'x-github-event': 'push', 'x-github-delivery': `replay-${i}`, 'x-hub-signature-256': sign(body) },
          Buffer.from(body),
        ),
      );
    }
    expect(statuses[0]).toBe(202);
    expect(statuses.slice(1).every((s) => s === 200)).toBe(true);
    await serve.waitFor(finished, 30_000, from);
    await new Promise((r) => setTimeout(r, 500));
    const runs = serve.lines().slice(from).filter(started);
    process.stdout.write(
      `\nwebhook replay: 200 replays of one signed delivery → ${runs.length} reconcile(s)\n`,
    );
    expect(runs).toHaveLength(1);
  }, 120_000);

  it('300 distinct valid deliveries, 30 at a time: never two reconciles at once, one queued, reasons bounded', async () => {
    const from = serve.lines().length;
    let n = 0;
    const send = async () => {
      const i = n++;
      const body = JSON.stringify({
        action: 'synchronize',
        number: i,
        pull_request: { head: { sha: `${i}` } },
      });
      return post(
        {
          'x-github-event': 'pull_request',
          'x-github-delivery': `burst-${i}`,
          'x-hub-signature-256': sign(body),
        },
        Buffer.from(body),
      );
    };
    const statuses: number[] = [];
    const workers = Array.from({ length: 30 }, async () => {
      while (n < 300) statuses.push(await send());
    });
    const t0 = Date.now();
    await Promise.all(workers);
    const floodMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 300));
    // Wait for the queue to drain: the last run finished, none started after it.
    await serve.waitFor(
      () => {
        const lines = serve.lines().slice(from);
        return lines.filter(started).length === lines.filter(finished).length;
      },
      60_000,
      from,
    );
    const lines = serve.lines().slice(from);
    const runs = lines.filter(started);
    let open = 0;
    for (const l of lines) {
      if (started(l)) open += 1;
      if (finished(l)) open -= 1;
      expect(open).toBeLessThanOrEqual(1);
    }
    for (const r of runs) expect((r.reasons as string[]).length).toBeLessThanOrEqual(21);
    const accepted = statuses.filter((s) => s === 202).length;
    process.stdout.write(
      `\nwebhook burst: ${accepted} of 300 valid deliveries accepted in ${floodMs} ms → ${runs.length} reconciles, never overlapping\n`,
    );
    expect(accepted).toBeGreaterThan(0);
    expect(runs.length).toBeLessThan(accepted);
  }, 180_000);
});
