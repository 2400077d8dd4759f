import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitRemote, type GitRemoteFixture } from '../support/github-server/index.js';
import { parsePrometheus, startServe } from '../support/serve-process.js';
import { backtestConfig, commitMany, manyConfigs } from './fixtures.js';

let dir: string;
let remote: GitRemoteFixture;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'btg-resilience-'));
  remote = createGitRemote();
  commitMany(remote, manyConfigs(200));
  remote.push('main');
});
afterAll(() => {
  remote?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function config(name: string, lines: string[]): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    ['http: { port: 0, host: 127.0.0.1 }', `cache_dir: ./cache-${name}`, ...lines].join('\n'),
  );
  return path;
}

describe('serve resilience', () => {
  it('stays up and reports not-ready while the config repository is unreachable, then recovers', async () => {
    const missing = join(dir, 'not-yet.git');
    const path = config('unreachable', [
      `repo: { url: ${JSON.stringify(missing)} }`,
      'target: ./out-unreachable',
      'schedule: "*/2 * * * * *"',
      'retry: { attempts: 2, initial_delay_seconds: 0.1 }',
    ]);
    const serve = await startServe(path);
    try {
      await serve.waitFor((l) => l.msg === 'reconcile finished' && l.result === 'failure');
      const base = `http://127.0.0.1:${serve.port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toContain('config repository unreachable');
      const metrics = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
      expect(metrics.get('backtest_gitops_step_failures_total{step="fetch"}')).toBeGreaterThanOrEqual(1);
      expect(serve.lines().some((l) => l.msg === 'fetch failed; retrying')).toBe(true);

      // The repository appears: the next scheduled reconcile deploys and the pod turns ready.
      remote.git(['clone', '--quiet', '--bare', remote.bareDir, missing], dir);
      const from = serve.lines().length;
      await serve.waitFor((l) => l.msg === 'reconcile finished' && l.result === 'success', 60_000, from);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      expect(serve.child.exitCode).toBeNull();
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });

  it('repairs a DAG file changed behind its back and counts the drift', async () => {
    const path = config('drift', [
      `repo: { url: ${JSON.stringify(remote.bareDir)} }`,
      'target: ./out-drift',
      'schedule: "*/2 * * * * *"',
      'drift: repair',
      'drift_check_interval_seconds: 1',
    ]);
    const serve = await startServe(path);
    try {
      await serve.waitFor((l) => l.msg === 'reconcile finished' && l.result === 'success', 60_000);
      const file = join(dir, 'out-drift', 'bt_0007.py');
      const good = readFileSync(file, 'utf8');
      writeFileSync(file, '# edited in the bucket by hand\n');
      const from = serve.lines().length;
      const drift = await serve.waitFor((l) => l.msg === 'drift detected in the target', 30_000, from);
      expect(drift).toMatchObject({ drift: 1, mode: 'repair' });
      await serve.waitFor((l) => l.msg === 'reconcile finished', 30_000, from);
      expect(readFileSync(file, 'utf8')).toBe(good);
      const metrics = parsePrometheus(await (await fetch(`http://127.0.0.1:${serve.port}/metrics`)).text());
      expect(metrics.get('backtest_gitops_drift_detected_total')).toBe(1);
      expect(metrics.get('backtest_gitops_apply_operations_total{op="repair"}')).toBe(1);
    } finally {
      await serve.stop();
    }
  });

  it('suspend: true plans but writes nothing to the target', async () => {
    const path = config('suspended', [
      `repo: { url: ${JSON.stringify(remote.bareDir)} }`,
      'target: ./out-suspended',
      'schedule: "0 0 1 1 *"',
      'suspend: true',
    ]);
    const serve = await startServe(path);
    try {
      const planned = await serve.waitFor((l) => l.msg === 'planned (suspended)');
      expect((planned.operations as { create: number }).create).toBeGreaterThanOrEqual(200);
      await serve.waitFor((l) => l.msg === 'reconcile finished');
      expect(existsSync(join(dir, 'out-suspended'))).toBe(false);
    } finally {
      await serve.stop();
    }
  });

  it('two replicas on one target converge without losing or duplicating anything', async () => {
    const shared = [
      `repo: { url: ${JSON.stringify(remote.bareDir)} }`,
      'target: ./out-shared',
      'schedule: "*/2 * * * * *"',
      // Without the lease both act at once: the conditional writes alone keep them safe
      // (with the lease only one acts: two-replicas.test.ts).
      'leader_lease_seconds: 0',
    ];
    const [a, b] = await Promise.all([
      startServe(config('replica-a', shared)),
      startServe(config('replica-b', shared)),
    ]);
    try {
      await Promise.all([
        a.waitFor((l) => l.msg === 'reconcile finished' && l.result === 'success', 120_000),
        b.waitFor((l) => l.msg === 'reconcile finished' && l.result === 'success', 120_000),
      ]);
      const sha = remote.commit({
        'backtests/bt_0000.yaml': backtestConfig(0, 30),
        'backtests/bt_0001.yaml': null,
      });
      remote.push('main');
      const seen = (s: typeof a) =>
        s.waitFor(
          (l) => (l.msg === 'deployed' || l.msg === 'target up to date') && l.commit === sha,
          120_000,
        );
      await Promise.all([seen(a), seen(b)]);
      const manifest = JSON.parse(
        readFileSync(join(dir, 'out-shared', '.backtest-gitops', 'manifest.json'), 'utf8'),
      );
      expect(manifest.commit).toBe(sha);
      expect(manifest.entries.filter((e: { dag_id: string | null }) => e.dag_id !== null)).toHaveLength(199);
      expect(readdirSync(join(dir, 'out-shared')).filter((f) => f.endsWith('.py'))).toHaveLength(199);
      // Each change was written by exactly one of them.
      const writes = [a, b].map(
        (s) => s.lines().filter((l) => l.msg === 'deployed' && l.commit === sha).length,
      );
      expect(writes.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(1);
      // Conflicting manifest writes were re-planned inside the apply, never surfaced as failures.
      for (const s of [a, b]) {
        expect(s.lines().filter((l) => l.msg === 'reconcile finished' && l.result !== 'success')).toEqual([]);
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
