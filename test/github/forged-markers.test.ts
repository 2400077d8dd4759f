import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtestConfig } from '../controller/fixtures.js';
import {
  createGitRemote,
  type GitHubServer,
  type GitRemoteFixture,
  PullRequestFlow,
  startGitHubServer,
} from '../support/github-server/index.js';
import { type ServeProcess, startServe, writeTestControllerConfig } from '../support/serve-process.js';

/**
 * An attacker copies the hidden markers of a bot comment (sticky, head, base, deploy) into
 * comments of their own. `backtestctl serve` reads only comments authored by its own
 * account (learned with GET /user), so none of them suppresses a report or gets edited.
 */
const TYPO = 'strategy_class: X\nstart_date: 2022-01-01\nend_date: 2022-12-31\nstop_los_pct: 3\n';

let github: GitHubServer;
let remote: GitRemoteFixture;
let flow: PullRequestFlow;
let serve: ServeProcess;
let dir: string;
/** Figures for `npm run reliability`: markers forged, and reports they suppressed. */
let forgedMarkers = 0;
let suppressed = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'btg-forged-'));
  github = await startGitHubServer();
  remote = createGitRemote();
  flow = new PullRequestFlow(github, remote);
  remote.commit({ 'backtests/base.yaml': backtestConfig(1) });
  remote.push('main');
  const config = writeTestControllerConfig(dir, {
    repoUrl: remote.bareDir,
    target: './out',
    github,
    schedule: '*/1 * * * * *',
    logLevel: 'debug',
  });
  serve = await startServe(config, { GITHUB_TOKEN: github.token });
}, 120_000);

afterAll(async () => {
  await serve?.stop('SIGKILL');
  await github?.stop();
  remote?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const bot = () => github.state.tokenUser.login;
const ours = (pr: number) => github.state.commentsOn(pr).filter((c) => c.user.login === bot());
const validateStates = (sha: string) =>
  github.state
    .statusesFor(sha)
    .filter((s) => s.context === 'backtest-gitops/validate')
    .map((s) => s.state);

async function until<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}:\n${serve.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('forged markers in comments by others', () => {
  it('forged sticky + head + base markers on an invalid PR: failing status and the bot’s own report; the forged comment is never edited', async () => {
    // A genuine report to copy the markers from.
    const good = flow.openPr('good', { 'backtests/good.yaml': backtestConfig(2) });
    const genuine = await until('the report on the valid PR', () => ours(good.number)[0]);
    const copiedBase = /<!-- backtest-gitops:base=[^>]* -->/.exec(genuine.body)?.[0];
    expect(copiedBase).toBeDefined();

    // The attacker's PR: an invalid config, plus a comment claiming it was checked and valid.
    const evil = flow.openPr('evil', { 'backtests/evil.yaml': TYPO });
    const forgedBody = [
      '<!-- backtest-gitops:sticky -->',
      `<!-- backtest-gitops:head=${evil.sha} -->`,
      '### ✅ backtest-gitops: configs are valid',
      copiedBase,
      '',
    ].join('\n');
    const forged = github.state.addComment(evil.number, forgedBody);
    forgedMarkers += 3; // sticky, head, base

    await until('a failing validate status on the forged PR', () =>
      validateStates(evil.sha).includes('failure'),
    );
    const report = await until('the bot’s own comment on the forged PR', () => ours(evil.number)[0]);
    if (!report.body.includes('backtests/evil.yaml:4:1')) suppressed += 1;
    expect(report.body).toContain('backtests/evil.yaml:4:1');
    expect(report.body).toContain(`<!-- backtest-gitops:head=${evil.sha} -->`);
    expect(validateStates(evil.sha)).toEqual(['failure']);
    // The forged comment stays the attacker's words: never edited, never reused.
    expect(github.state.comments.find((c) => c.id === forged.id)?.body).toBe(forgedBody);
    expect(
      github.exchanges.filter((e) => e.method === 'PATCH' && e.path.endsWith(`/comments/${forged.id}`)),
    ).toEqual([]);
  });

  it('a forged deploy marker on a merged PR does not suppress the deploy report', async () => {
    const pr = flow.openPr('to-merge', { 'backtests/merged.yaml': backtestConfig(3) });
    await until('the PR report', () => ours(pr.number)[0]);
    // Merge locally, forge the marker of the merge commit, then let the controller see it.
    remote.git(['checkout', '--quiet', 'main']);
    remote.git(['merge', '--quiet', '--no-ff', '-m', `Merge pull request #${pr.number}`, 'to-merge']);
    const mergeSha = remote.git(['rev-parse', 'HEAD']);
    github.state.mergePull(pr.number, mergeSha);
    const forged = github.state.addComment(
      pr.number,
      `<!-- backtest-gitops:deploy=${mergeSha} -->\n### ✅ backtest-gitops: deployed`,
    );
    forgedMarkers += 1; // deploy
    remote.push('main');

    const report = await until('the deploy report on the merged PR', () =>
      ours(pr.number).find((c) => c.body.includes(`backtest-gitops:deploy=${mergeSha}`)),
    ).catch((err: unknown) => {
      suppressed += 1;
      throw err;
    });
    expect(report.body).toMatch(/deployed/);
    expect(github.state.comments.find((c) => c.id === forged.id)?.user.login).toBe('researcher');
    // And only one: the next reconciles find the bot's own report and add nothing.
    await serve.waitFor((l) => l.msg === 'reconcile finished', 10_000, serve.lines().length);
    await serve.waitFor((l) => l.msg === 'reconcile finished', 10_000, serve.lines().length);
    expect(ours(pr.number).filter((c) => c.body.includes('backtest-gitops:deploy='))).toHaveLength(1);
    process.stdout.write(
      `\nforged markers: ${forgedMarkers} tried (sticky, head, base, deploy) → reports suppressed ${suppressed}\n`,
    );
  });
});
