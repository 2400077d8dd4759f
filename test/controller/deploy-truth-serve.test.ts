import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
import {
  type LogLine,
  parsePrometheus,
  type ServeProcess,
  startServe,
  writeTestControllerConfig,
} from '../support/serve-process.js';

/**
 * What main says is what is live, through `backtestctl serve` against a real git remote and
 * the local GitHub API: PRs are checked on the tree git's merge produces, a default branch
 * that cannot be deployed fails loudly (status, comment, metrics), and deploys never wait
 * on GitHub.
 */
const CAP = 'max_runs_per_dag: 100\n';
// Two grid axes on lines apart, so git merges edits of one with edits of the other.
const grid = (tp: number, sl: number) =>
  [
    'strategy_class: LongShortEquityStrategy',
    'start_date: 2022-01-01',
    'end_date: 2022-12-31',
    'param_grid:',
    `  take_profit_pct: [${Array.from({ length: tp }, (_, i) => i + 1).join(', ')}]`,
    '  # stop loss axis',
    `  stop_loss_pct: [${Array.from({ length: sl }, (_, i) => i + 1).join(', ')}]`,
    '',
  ].join('\n');

let github: GitHubServer;
let remote: GitRemoteFixture;
let flow: PullRequestFlow;
let serve: ServeProcess;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'btg-truth-serve-'));
  github = await startGitHubServer();
  remote = createGitRemote();
  flow = new PullRequestFlow(github, remote);
  remote.commit({ 'backtest-gitops.yaml': CAP, 'backtests/grid.yaml': grid(5, 5) });
  remote.push('main');
  const config = writeTestControllerConfig(dir, {
    repoUrl: remote.bareDir,
    target: join(dir, 'dags'),
    github,
    schedule: '*/2 * * * * *',
    logLevel: 'debug',
  });
  serve = await startServe(config, { GITHUB_TOKEN: github.token });
  await serve.waitFor((l) => l.msg === 'deployed', 120_000);
}, 300_000);

afterAll(async () => {
  await serve?.stop('SIGKILL');
  await github?.stop();
  remote?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const statuses = (sha: string, context: string) =>
  github.state.statusesFor(sha).filter((s) => s.context === context);

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const deployedGrid = () => readFileSync(join(dir, 'dags', 'grid.py'), 'utf8');

describe('serve: what main says is what is live', () => {
  let lastGood = '';
  let mergeA = '';
  let prB: { number: number; sha: string };

  it('checks a PR on the tree its merge produces: two clean merges into one grid over the cap fail the second PR', async () => {
    const prA = flow.openPr('widen-a', { 'backtests/grid.yaml': grid(10, 5) }); // 50 runs
    prB = flow.openPr('widen-b', { 'backtests/grid.yaml': grid(5, 15) }); // 75 runs
    for (const pr of [prA, prB]) {
      await until(`validate status on #${pr.number}`, () =>
        statuses(pr.sha, 'backtest-gitops/validate').some((s) => s.state === 'success'),
      );
    }
    mergeA = flow.mergePr(prA.number);
    await serve.waitFor((l) => l.msg === 'deploy reported on GitHub' && l.commit === mergeA, 90_000);
    lastGood = deployedGrid();
    // Re-checked on main's new head: git merges B's axis with A's into 10 × 15 = 150 runs.
    const failed = await until('a failing check on B after A merged', () =>
      statuses(prB.sha, 'backtest-gitops/validate').find((s) => s.state === 'failure'),
    );
    expect(failed.description).toMatch(/1 error in 1 config/);
    // Status first, then the sticky comment is edited in place.
    const sticky = () =>
      github.state.commentsOn(prB.number).filter((c) => c.body.includes('backtest-gitops:sticky'));
    const body = await until(
      'the edited comment',
      () => sticky().find((c) => c.body.includes('grid-too-large'))?.body,
    );
    expect(sticky()).toHaveLength(1);
    expect(body).toMatch(/backtests\/grid\.yaml:\d+:\d+/);
    expect(body).toContain('150 runs');
  });

  it('merged anyway: failing deploy status, a comment with file:line and what is live instead, a failed reconcile', async () => {
    const mergeB = flow.mergePr(prB.number);
    const status = await until('the deploy status on the merge commit', () =>
      statuses(mergeB, 'backtest-gitops/deploy').at(-1),
    );
    expect(status.state).toBe('failure');
    expect(status.description).toContain('not live');
    const comment = await until('the deploy comment on the merged PR', () =>
      github.state.commentsOn(prB.number).find((c) => c.body.includes(`deploy=${mergeB}`)),
    );
    expect(comment.body).toMatch(/backtests\/grid\.yaml:\d+:\d+/);
    expect(comment.body).toContain(`live instead: DAG grid from commit ${mergeA.slice(0, 7)} (last good)`);
    // The last good DAG stays deployed, byte for byte.
    expect(deployedGrid()).toBe(lastGood);
    // The reconcile that reported it ends as failed (it still validates PRs after the report).
    await serve.waitFor((l) => l.msg === 'reconcile finished' && l.result === 'failure', 60_000);
    const text = await (await fetch(`http://127.0.0.1:${serve.port}/metrics`)).text();
    const metrics = parsePrometheus(text);
    expect(metrics.get('backtest_gitops_reconciles_total{result="failure"}'), text).toBeGreaterThan(0);
    expect(metrics.get('backtest_gitops_step_failures_total{step="deploy"}'), text).toBeGreaterThan(0);
    // One comment, however many polls see the same failure.
    await serve.waitFor((l) => l.msg === 'reconcile finished', 30_000, serve.lines().length);
    expect(
      github.state.commentsOn(prB.number).filter((c) => c.body.includes(`deploy=${mergeB}`)),
    ).toHaveLength(1);
  });

  it('a PR that does not merge cleanly gets a failing check naming the file', async () => {
    const pr = flow.openPr('conflict', { 'backtests/grid.yaml': grid(3, 15) });
    remote.commit({ 'backtests/grid.yaml': grid(4, 15) }, { branch: 'main' });
    remote.push('main');
    const failed = await until('a failing check on the conflicting PR', () =>
      statuses(pr.sha, 'backtest-gitops/validate').find((s) => s.state === 'failure'),
    );
    expect(failed).toBeDefined();
    const sticky = await until('the conflict comment', () =>
      github.state.commentsOn(pr.number).find((c) => c.body.includes('merge-conflict')),
    );
    expect(sticky.body).toContain('merge conflict in backtests/grid.yaml');
  });

  it('deploys a merge within the first poll that sees it while GitHub answers 5xx', async () => {
    github.injectFault({ status: 503, times: 100_000 });
    const mark = serve.lines().length;
    const sha = remote.commit({ 'backtests/grid.yaml': grid(2, 2) }, { branch: 'main' });
    remote.push('main');
    const deployed = await serve.waitFor((l) => l.msg === 'deployed' && l.commit === sha, 60_000, mark);
    // That reconcile deployed before it talked to GitHub, and GitHub really was failing.
    const githubFailed = await serve.waitFor(
      (l) =>
        l.reconcile === deployed.reconcile &&
        /failed$/.test(l.msg) &&
        (l.step === 'report' || l.step === 'validate-prs'),
      120_000,
      mark,
    );
    const lines = serve.lines().slice(mark);
    expect(lines.indexOf(githubFailed)).toBeGreaterThan(lines.indexOf(deployed));
    // The first reconcile started after the push (or one already running that fetched it).
    const started = lines.filter((l: LogLine) => l.msg === 'reconcile started').map((l) => l.reconcile);
    expect(started.slice(0, 2)).toContain(deployed.reconcile);
    expect(deployedGrid()).toContain('4 runs on AWS Batch');
  });
});
