import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtestConfig } from '../controller/fixtures.js';
import {
  createGitRemote,
  type GitHubServer,
  type GitRemoteFixture,
  startGitHubServer,
} from '../support/github-server/index.js';
import {
  parsePrometheus,
  type ServeProcess,
  startServe,
  writeTestControllerConfig,
} from '../support/serve-process.js';

/**
 * Pull requests built to stall the controller, against `backtestctl serve`, the local GitHub
 * API and a real git remote: every one is answered with a failing status and a comment
 * within GitHub's limit, a check that cannot complete says why and counts as a failed step,
 * and an unchanged head is not checked again every loop.
 * HOSTILE_PR_CONFIGS (default 100; `npm run reliability` uses 1,000) sets the size of the
 * PR with 140 unknown keys per config.
 */
const HOSTILE_CONFIGS = Number(process.env.HOSTILE_PR_CONFIGS ?? 100);
const UNKNOWN_KEYS = 140;

let github: GitHubServer;
let remote: GitRemoteFixture;
let serve: ServeProcess;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'btg-hostile-pr-'));
  github = await startGitHubServer();
  remote = createGitRemote();
  remote.commit({ 'backtests/base.yaml': backtestConfig(1) });
  remote.push('main');
  const config = writeTestControllerConfig(dir, {
    repoUrl: remote.bareDir,
    target: './out',
    github,
    schedule: '*/2 * * * * *',
  });
  serve = await startServe(config, { GITHUB_TOKEN: github.token });
}, 120_000);

afterAll(async () => {
  await serve?.stop('SIGKILL');
  await github?.stop();
  remote?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Opens a PR whose branch adds `files` in one commit (one `git add`, however many files). */
function openBulkPr(branch: string, files: Record<string, string>): { number: number; sha: string } {
  remote.git(['checkout', '--quiet', '-b', branch, 'main']);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(remote.workDir, path)), { recursive: true });
    writeFileSync(join(remote.workDir, path), content);
  }
  remote.git(['add', '--all']);
  remote.git(['commit', '--quiet', '-m', branch]);
  const sha = remote.git(['rev-parse', 'HEAD']);
  remote.git(['checkout', '--quiet', 'main']);
  remote.push(branch);
  const pull = github.state.openPull({ headRef: branch, headSha: sha });
  remote.setPullHead(pull.number, sha);
  return { number: pull.number, sha };
}

const ours = (pr: number) =>
  github.state.commentsOn(pr).filter((c) => c.user.login === github.state.tokenUser.login);
const validate = (sha: string) =>
  github.state.statusesFor(sha).filter((s) => s.context === 'backtest-gitops/validate');

async function until<T>(what: string, probe: () => T | undefined | null | false, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}:\n${serve.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function metrics(): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${serve.port}/metrics`);
  return parsePrometheus(await res.text());
}

describe('hostile pull requests against the serve process', () => {
  it('a PR changing 1,001 configs: a failing status saying why, a failed step in /metrics, not re-checked every loop', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 1001; i += 1)
      files[`backtests/bulk/b_${String(i).padStart(4, '0')}.yaml`] = backtestConfig(i);
    const pr = openBulkPr('bulk', files);
    const status = await until('a status on the bulk PR', () => validate(pr.sha)[0], 120_000);
    expect(status.state).toBe('failure');
    expect(status.description).toMatch(/changes 1001 config files; at most 1000/);
    const comment = await until('the comment on the bulk PR', () => ours(pr.number)[0], 30_000);
    expect(comment.body).toContain('check failed');
    expect(comment.body).toContain('this pull request changes 1001 config files');
    expect(comment.body.length).toBeLessThanOrEqual(65_536);
    const failures = await metrics();
    expect(failures.get('backtest_gitops_step_failures_total{step="validate-prs"}')).toBeGreaterThanOrEqual(
      1,
    );

    // Three more loops: the same head is not checked again.
    const from = serve.lines().length;
    for (let i = 0; i < 3; i += 1)
      await serve.waitFor((l) => l.msg === 'reconcile finished', 30_000, serve.lines().length);
    const again = serve
      .lines()
      .slice(from)
      .filter((l) => l.msg === 'pull request check could not complete' && l.pr === pr.number);
    expect(again).toEqual([]);
    expect(validate(pr.sha)).toHaveLength(1);
  }, 240_000);

  it(`a PR of ${HOSTILE_CONFIGS} configs × ${UNKNOWN_KEYS} unknown keys: failing status and a bounded comment`, async () => {
    const files: Record<string, string> = {};
    const unknown = Array.from({ length: UNKNOWN_KEYS }, (_, k) => `unknown_key_${k}: ${k}`).join('\n');
    for (let i = 0; i < HOSTILE_CONFIGS; i += 1)
      files[`backtests/hostile/h_${String(i).padStart(4, '0')}.yaml`] = `${backtestConfig(i)}${unknown}\n`;
    const bytes = Object.values(files).reduce((n, c) => n + c.length, 0);
    const opened = Date.now();
    const pr = openBulkPr('hostile', files);
    const status = await until('a status on the hostile PR', () => validate(pr.sha)[0], 600_000);
    const seconds = (Date.now() - opened) / 1000;
    process.stdout.write(
      `\nhostile PR: ${HOSTILE_CONFIGS} configs, ${(bytes / 1024 / 1024).toFixed(2)} MB, ${HOSTILE_CONFIGS * UNKNOWN_KEYS} unknown keys → failing status after ${seconds.toFixed(1)} s\n`,
    );
    expect(status.state).toBe('failure');
    expect(status.description).toMatch(
      new RegExp(`^${HOSTILE_CONFIGS * UNKNOWN_KEYS} errors in ${HOSTILE_CONFIGS} configs`),
    );
    const comment = await until('the comment on the hostile PR', () => ours(pr.number)[0], 30_000);
    expect(comment.body.length).toBeLessThanOrEqual(65_536);
    expect(comment.body).toContain(
      `- … and ${UNKNOWN_KEYS - 50} more errors in \`backtests/hostile/h_0000.yaml\``,
    );
  }, 900_000);
});
