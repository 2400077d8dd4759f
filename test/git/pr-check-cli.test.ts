import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitRemote, type GitRemoteFixture } from '../support/github-server/git-fixture.js';
import { runBacktestctl } from '../support/run-cli.js';

const grid = (values: string) =>
  `strategy_class: LongShortEquityStrategy\nstart_date: 2022-01-01\nend_date: 2022-12-31\nparam_grid:\n  take_profit_pct: ${values}\n`;

let remote: GitRemoteFixture;
let tmp: string;

beforeAll(() => {
  remote = createGitRemote();
  remote.commit({ 'backtests/kept.yaml': grid('[1.0]'), 'backtests/changed.yaml': grid('[1.0, 2.0]') });
  remote.commit(
    { 'backtests/changed.yaml': grid('[1.0, 2.0, 3.0]'), 'backtests/new.yaml': grid('[4.0]') },
    { branch: 'feature' },
  );
  remote.commit(
    {
      'backtests/broken.yaml':
        'strategy_class: X\nstart_date: 2022-01-01\nend_date: 2022-12-31\nstop_los_pct: 3\n',
    },
    { branch: 'broken', from: 'main' },
  );
  tmp = mkdtempSync(join(tmpdir(), 'btg-prcheck-'));
});
afterAll(() => {
  remote.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runBacktestctl(args, { cwd: remote.workDir, env });

describe('backtestctl pr check', () => {
  it('plans head against the base rendering and prints the text report', async () => {
    const { code, stdout } = await run(['pr', 'check', '--repo', '.', '--base', 'main', '--head', 'feature']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/✓ Valid: 1 to create, 1 to update; 5 runs in 3 DAGs/);
    expect(stdout).toMatch(/\+ create new \(1 run\)/);
    expect(stdout).toMatch(/~ update changed \(3 runs\)/);
  });

  it('prints the PR comment as markdown with links, and appends it to the job summary', async () => {
    const summary = join(tmp, 'summary.md');
    writeFileSync(summary, '# earlier step\n');
    const env = {
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'quant/backtests',
    };
    const { code, stdout } = await run(
      ['pr', 'check', '--base', 'main', '--head', 'broken', '--format', 'markdown', '--github-output'],
      env,
    );
    expect(code).toBe(1);
    expect(stdout).toContain('backtests/broken.yaml:4:1');
    expect(stdout).toMatch(
      /https:\/\/github\.com\/quant\/backtests\/blob\/[0-9a-f]{40}\/backtests\/broken\.yaml#L4/,
    );
    expect(readFileSync(summary, 'utf8')).toBe(`# earlier step\n${stdout}\n`);
  });

  it('prints JSON and refuses bad usage with exit code 2', async () => {
    const { code, stdout } = await run([
      'pr',
      'check',
      '--base',
      'main',
      '--head',
      'feature',
      '--format',
      'json',
    ]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as {
      valid: boolean;
      total_runs: number;
      plan: { summary: { create: string[] } };
    };
    expect(doc).toMatchObject({ valid: true, total_runs: 5, plan: { summary: { create: ['new'] } } });
    expect((await run(['pr', 'check', '--base', 'main', '--head', 'nope'])).code).toBe(2);
    expect(
      (await run(['pr', 'check', '--base', 'main', '--head', 'feature', '--github-output'])).stderr,
    ).toMatch(/GITHUB_STEP_SUMMARY/);
    // An unwritable job summary is the caller's setting, not a bug in backtestctl.
    const unwritable = await run(['pr', 'check', '--base', 'main', '--head', 'feature', '--github-output'], {
      GITHUB_STEP_SUMMARY: join(remote.workDir, 'no-such-dir', 'summary.md'),
    });
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toContain('cannot append to $GITHUB_STEP_SUMMARY');
    expect(unwritable.stderr).not.toContain('internal error');
  });

  it('plans only the head changes when the base moved on after the branch was made', async () => {
    remote.git(['checkout', '--quiet', 'main']);
    remote.commit({ 'backtests/later.yaml': grid('[9.0]') });
    const { code, stdout } = await run([
      'pr',
      'check',
      '--base',
      'main',
      '--head',
      'feature',
      '--format',
      'json',
    ]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as {
      plan: { summary: { create: string[]; delete: string[]; unchanged: string[] } };
    };
    expect(doc.plan.summary).toMatchObject({ create: ['new'], delete: [], unchanged: ['kept', 'later'] });
  });
});
