/**
 * GitHub API cost of PR feedback: requests and rate-limit points per idle poll and per new
 * PR, measured against the local GitHub REST server with the real Octokit client and a real
 * git remote. Run: npx tsx bench/github-calls.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PullRequestMemory, validatePullRequests } from '../src/controller/pull-requests.js';
import { GitRepoCache } from '../src/git/index.js';
import { connectGitHub } from '../src/github/index.js';
import { childEnv } from '../test/support/child-env.js';
import { createGitRemote, PullRequestFlow, startGitHubServer } from '../test/support/github-server/index.js';

const config = (i: number) =>
  `strategy_class: LongShortEquityStrategy\nstart_date: 2022-01-01\nend_date: 2022-12-31\nparam_grid:\n  take_profit_pct: [${i}.0, ${i + 1}.0]\n  stop_loss_pct: [3.0, 5.0]\n`;

const server = await startGitHubServer();
const remote = createGitRemote();
const cacheRoot = mkdtempSync(join(tmpdir(), 'btg-bench-'));
try {
  remote.commit({ 'backtests/base.yaml': config(0) });
  remote.push('main');
  const flow = new PullRequestFlow(server, remote);
  const { github, traffic } = connectGitHub({
    repository: `${server.owner}/${server.repo}`,
    baseUrl: server.baseUrl,
    auth: { kind: 'token', token: server.token },
    spaceWrites: false,
  });
  const memory: PullRequestMemory = new Map();
  const repo = new GitRepoCache({ childEnv, url: remote.bareDir, cacheDir: join(cacheRoot, 'cache') });
  const poll = () => validatePullRequests({ github, repo, memory, readManifest: async () => null });

  const measure = async (label: string, act: () => Promise<unknown>, rounds = 1) => {
    server.clearLog();
    const before = traffic.requests;
    for (let i = 0; i < rounds; i += 1) await act();
    const ex = server.exchanges;
    const row = {
      scenario: label,
      requests: (traffic.requests - before) / rounds,
      'rate-limit points': ex.reduce((s, e) => s + e.cost, 0) / rounds,
      '304s': ex.filter((e) => e.status === 304).length / rounds,
      writes: server.writes().length / rounds,
    };
    rows.push(row);
  };
  const rows: Record<string, string | number>[] = [];

  await measure('first poll, 0 open PRs (cold ETag cache)', async () => poll().then(() => undefined), 1);
  await measure('idle poll, 0 open PRs', poll, 10);
  for (let i = 1; i <= 10; i += 1) flow.openPr(`pr-${i}`, { [`backtests/pr${i}.yaml`]: config(i) });
  await measure('first poll after 10 new PRs (per PR)', async () => {
    await poll();
  });
  const last = rows[rows.length - 1];
  if (last) {
    for (const k of ['requests', 'rate-limit points', '304s', 'writes'] as const)
      last[k] = Number(last[k]) / 10;
  }
  await poll(); // refresh ETags after our own writes
  await measure('idle poll, 10 open PRs', poll, 10);
  flow.pushPr(3, { 'backtests/pr3.yaml': config(30) });
  await measure('poll after one push to one of 10 PRs', poll);
  const quota = await github.rateLimit();
  console.table(rows);
  console.log(
    `quota left: ${quota.remaining}/${quota.limit} (x-ratelimit-*; exported as a metric by the controller)`,
  );
} finally {
  await server.stop();
  remote.cleanup();
  rmSync(cacheRoot, { recursive: true, force: true });
}
