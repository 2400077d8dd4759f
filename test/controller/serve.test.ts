import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitRemote, type GitRemoteFixture } from '../support/github-server/index.js';
import { type LogLine, parsePrometheus, type ServeProcess, startServe } from '../support/serve-process.js';
import { backtestConfig, commitMany, manyConfigs, sendWebhook } from './fixtures.js';

const WEBHOOK_SECRET = 'whsec-serve-test-0123456789abcdef';
const TOKEN = 'ghp_servetesttoken0123456789abcdefABCD';

let remote: GitRemoteFixture;
let dir: string;

function writeConfig(name: string, extra: string): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    [
      `repo: { url: ${JSON.stringify(remote.bareDir)}, branch: main }`,
      `target: ./out-${name}`,
      `cache_dir: ./cache-${name}`,
      'http: { port: 0, host: 127.0.0.1 }',
      'log: { level: debug }',
      extra,
    ].join('\n'),
  );
  return path;
}

const started = (l: LogLine) => l.msg === 'reconcile started';
const finished = (l: LogLine) => l.msg === 'reconcile finished';

/** Reconcile start/finish lines must strictly alternate: never two reconciles at once. */
function expectNoOverlap(lines: LogLine[]) {
  let open: string | null = null;
  for (const l of lines) {
    if (started(l)) {
      expect(open, `reconcile ${l.reconcile} started while ${open} was running`).toBeNull();
      open = l.reconcile ?? '?';
    } else if (finished(l)) {
      expect(l.reconcile).toBe(open);
      open = null;
    }
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'btg-serve-'));
  remote = createGitRemote();
  remote.commit({ 'backtests/alpha.yaml': backtestConfig(1), 'backtests/beta.yaml': backtestConfig(2) });
  remote.push('main');
});

afterAll(() => {
  remote?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('backtestctl serve as a child process', () => {
  let serve: ServeProcess;
  afterAll(async () => {
    await serve?.stop('SIGKILL');
  });

  it('deploys at start, then deploys a change on the default branch at the next scheduled reconcile', async () => {
    const config = writeConfig('poll.yaml', 'schedule: "*/2 * * * * *"');
    serve = await startServe(config, { GITHUB_TOKEN: TOKEN });
    await serve.waitFor((l) => l.msg === 'deployed');
    expect(readdirSync(join(dir, 'out-poll.yaml')).sort()).toEqual([
      '.backtest-gitops',
      'alpha.py',
      'backtest_gitops_support',
      'beta.py',
    ]);

    await serve.waitFor(finished);
    const from = serve.lines().length;
    const sha = remote.commit({ 'backtests/gamma.yaml': backtestConfig(3), 'backtests/alpha.yaml': null });
    remote.push('main');
    const pushedAt = Date.now();
    const deployed = await serve.waitFor((l) => l.msg === 'deployed' && l.commit === sha, 30_000, from);
    // Within one interval: deployed by the first reconcile that started after the push
    // completed, or by one already running that fetched it.
    const runs = serve.lines().slice(from).filter(started);
    const firstAfterPush = runs.findIndex((l) => Date.parse(String(l.time)) >= pushedAt);
    const deployedBy = runs.findIndex((l) => l.reconcile === deployed.reconcile);
    expect(deployedBy).toBeGreaterThanOrEqual(0);
    if (firstAfterPush >= 0) expect(deployedBy).toBeLessThanOrEqual(firstAfterPush);
    expect(deployed.operations).toEqual({ create: 1, update: 0, delete: 1, repair: 0 });
    expect(existsSync(join(dir, 'out-poll.yaml', 'gamma.py'))).toBe(true);
    expect(existsSync(join(dir, 'out-poll.yaml', 'alpha.py'))).toBe(false);
  });

  it('serves /healthz, /readyz and /metrics in Prometheus text that moves', async () => {
    const base = `http://127.0.0.1:${serve.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const first = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
    expect(first.get('backtest_gitops_dags_managed')).toBe(2);
    // Files, not DAGs: the support package counts too.
    expect(first.get('backtest_gitops_apply_operations_total{op="create"}')).toBeGreaterThanOrEqual(3);
    expect(first.get('backtest_gitops_apply_operations_total{op="delete"}')).toBe(1);
    expect(first.get('backtest_gitops_last_successful_reconcile_timestamp_seconds')).toBeGreaterThan(0);
    expect(first.get('backtest_gitops_reconcile_duration_seconds_count')).toBeGreaterThan(0);
    const from = serve.lines().length;
    await serve.waitFor(finished, 30_000, from);
    const second = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
    const ok = 'backtest_gitops_reconciles_total{result="success"}';
    expect(second.get(ok)).toBeGreaterThan(first.get(ok) ?? 0);
    expect(second.has('backtest_gitops_process_resident_memory_bytes')).toBe(true);
    expectNoOverlap(serve.lines());
  });

  it('exits cleanly on SIGTERM and never logs the secrets it was given', async () => {
    expect(await serve.stop('SIGTERM')).toBe(0);
    expect(serve.lines().at(-1)?.msg).toBe('controller stopped');
    expect(serve.output()).not.toContain(TOKEN);
  });
});

describe('webhooks', () => {
  let serve: ServeProcess;
  afterAll(async () => {
    await serve?.stop('SIGKILL');
  });

  it('a verified push webhook triggers an immediate reconcile; a bad signature does not', async () => {
    // A schedule that never fires during the test: only the start-up run and webhooks reconcile.
    const config = writeConfig('hook.yaml', 'schedule: "0 0 1 1 *"');
    serve = await startServe(config, { BACKTEST_GITOPS_WEBHOOK_SECRET: WEBHOOK_SECRET });
    await serve.waitFor(finished);
    const sha = remote.commit({ 'backtests/delta.yaml': backtestConfig(4) });
    remote.push('main');

    const bad = await sendWebhook(
      serve.port,
      WEBHOOK_SECRET,
      'push',
      { ref: 'refs/heads/main' },
      { badSignature: true },
    );
    expect(bad.status).toBe(401);
    const from = serve.lines().length;
    const res = await sendWebhook(serve.port, WEBHOOK_SECRET, 'push', { ref: 'refs/heads/main', after: sha });
    expect(res.status).toBe(202);
    const run = await serve.waitFor(started, 30_000, from);
    expect(run.reasons).toEqual([expect.stringMatching(/^webhook:push:d-/)]);
    await serve.waitFor((l) => l.msg === 'deployed' && l.commit === sha, 30_000, from);
  });

  it('overlapping triggers coalesce into one follow-up reconcile, never overlapping', async () => {
    // 1,000 changed configs keep the first reconcile busy (render, then 1,000 writes) while
    // the burst of deliveries arrives.
    commitMany(remote, manyConfigs(1000));
    remote.push('main');
    const from = serve.lines().length;
    // Each delivery has its own body, as GitHub's do (a replayed body is dropped as a repeat).
    const first = await sendWebhook(serve.port, WEBHOOK_SECRET, 'push', { ref: 'refs/heads/main', n: 0 });
    expect(first.status).toBe(202);
    const running = await serve.waitFor(started, 30_000, from);
    const burst = 11;
    const responses = await Promise.all(
      Array.from({ length: burst }, (_, i) =>
        sendWebhook(serve.port, WEBHOOK_SECRET, 'push', { ref: 'refs/heads/main', n: i + 1 }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(burst).fill(202));
    const done = (n: number) => (l: LogLine) =>
      finished(l) && serve.lines().slice(from).filter(finished).length >= n;
    await serve.waitFor(done(2), 120_000, from);
    await new Promise((r) => setTimeout(r, 1000)); // a third run would have started by now
    const runs = serve.lines().slice(from).filter(started);
    // The run in progress, then exactly one follow-up carrying all eleven deliveries.
    expect(runs.map((r) => (r.reasons as string[]).length)).toEqual([1, burst]);
    expect(runs[0]?.reconcile).toBe(running.reconcile);
    expectNoOverlap(serve.lines());
    expect(serve.output()).not.toContain(WEBHOOK_SECRET);
  });
});

describe('shutdown mid-apply', () => {
  it('SIGTERM during a large apply exits within the grace period, leaves a whole manifest, and the next start converges', async () => {
    const configs = 2000;
    const big = createGitRemote();
    try {
      const sha = commitMany(big, manyConfigs(configs));
      big.push('main');
      const path = join(dir, 'big.yaml');
      writeFileSync(
        path,
        [
          `repo: { url: ${JSON.stringify(big.bareDir)} }`,
          'target: ./out-big',
          'cache_dir: ./cache-big',
          'http: { port: 0, host: 127.0.0.1 }',
          'schedule: "0 0 1 1 *"',
          'shutdown_grace_seconds: 1',
        ].join('\n'),
      );
      const first = await startServe(path);
      await first.waitFor((l) => l.msg === 'applying', 120_000);
      expect(await first.stop('SIGTERM')).toBe(0);
      const stopped = first.lines().find((l) => l.msg === 'controller stopped');
      // 2,000 writes usually outlast the 0.7 s before the abort (abandoned); a fast machine may
      // finish them (finished). Either way the process exits 0 within the grace period.
      expect(['abandoned', 'finished']).toContain(stopped?.outcome);
      const manifestPath = join(dir, 'out-big', '.backtest-gitops', 'manifest.json');
      const partial = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : null;
      const ownedAfterStop = partial?.entries?.length ?? 0;

      const second = await startServe(path);
      const done = await second.waitFor((l) => l.msg === 'reconcile finished', 180_000);
      expect(done.result).toBe('success');
      await second.stop('SIGTERM');
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      expect(manifest.commit).toBe(sha);
      expect(manifest.entries.filter((e: { dag_id: string | null }) => e.dag_id !== null)).toHaveLength(
        configs,
      );
      expect(manifest.pending ?? []).toEqual([]);
      const pyFiles = readdirSync(join(dir, 'out-big')).filter((f) => f.endsWith('.py'));
      expect(pyFiles).toHaveLength(configs);
      if (stopped?.outcome === 'abandoned') expect(ownedAfterStop).toBeLessThan(configs);
    } finally {
      big.cleanup();
    }
  });
});
