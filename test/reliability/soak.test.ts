import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGitRemote,
  type GitHubServer,
  type GitRemoteFixture,
  PullRequestFlow,
  startGitHubServer,
} from '../support/github-server/index.js';
import { inProcessController } from './in-process-controller.js';

/**
 * Soak: many reconcile loops of the real controller (git fetch, PR polls against the local
 * GitHub API, plan against a local DAG folder) with an occasional change, printing RSS at
 * the start and the end. SOAK_RECONCILES: 100 in `npm test`, 2,000 from scripts/reliability.sh.
 */
const LOOPS = Number(process.env.SOAK_RECONCILES ?? 100);

let github: GitHubServer;
let remote: GitRemoteFixture;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'btg-soak-'));
  github = await startGitHubServer({ owner: 'acme', repo: 'soak', rateLimit: 10_000_000 });
  remote = createGitRemote();
  const files: Record<string, string> = {};
  for (let i = 0; i < 20; i++) {
    files[`backtests/bt_${i}.yaml`] =
      `strategy_class: S\nstart_date: 2022-01-01\nend_date: 2022-12-31\nparam_grid:\n  take_profit_pct: [5, ${10 + i}]\n`;
  }
  remote.commit(files);
  remote.push('main');
  const flow = new PullRequestFlow(github, remote);
  flow.openPr('open-pr', { 'backtests/new.yaml': files['backtests/bt_0.yaml'] ?? '' });
}, 120_000);

afterAll(async () => {
  await github?.stop();
  remote?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('soak', () => {
  it(`keeps RSS flat over ${LOOPS} reconcile loops`, async () => {
    const controller = await inProcessController({
      dir,
      yaml: [
        `repo: { url: ${JSON.stringify(remote.bareDir)} }`,
        `target: ${JSON.stringify(join(dir, 'dags'))}`,
        `github: { repository: acme/soak, base_url: ${JSON.stringify(github.baseUrl)} }`,
        `cache_dir: ${JSON.stringify(join(dir, 'cache'))}`,
      ].join('\n'),
      env: { GITHUB_TOKEN: github.token },
    });
    const warmup = Math.max(10, Math.floor(LOOPS / 10));
    let startRss = 0;
    const results: Record<string, number> = {};
    for (let i = 0; i < LOOPS; i++) {
      if (i % 50 === 25) {
        remote.commit({
          'backtests/bt_0.yaml': `strategy_class: S\nstart_date: 2022-01-01\nend_date: 2022-12-${10 + (i % 18)}\n`,
        });
        remote.push('main');
      }
      const result = await controller.reconcile();
      results[result] = (results[result] ?? 0) + 1;
      if (i === warmup) {
        globalThis.gc?.();
        startRss = process.memoryUsage().rss;
      }
    }
    await controller.stop();
    globalThis.gc?.();
    const endRss = process.memoryUsage().rss;
    const mb = (n: number) => (n / 2 ** 20).toFixed(1);
    process.stdout.write(
      `\nsoak: ${LOOPS} reconciles ${JSON.stringify(results)}; RSS after warm-up ${mb(startRss)} MiB, at the end ${mb(endRss)} MiB\n`,
    );
    expect(results.success).toBe(LOOPS);
    // A leak of even a few KiB per loop would show over 2,000 loops; allow for GC noise.
    expect(endRss - startRss).toBeLessThan(96 * 2 ** 20);
  }, 3_600_000);
});
