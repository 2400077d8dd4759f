import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cliArgs } from '../support/cli.js';
import { runBacktestctl } from '../support/run-cli.js';

/**
 * The adoption path of a team without the controller: `backtestctl init` writes the starter
 * repository, a researcher commits a config on a branch, and the Action's own check step
 * (its `run` script, read from action.yml) runs on it as GitHub Actions would, with
 * backtestctl from this checkout in place of the built one.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const backtestctl = [process.execPath, ...cliArgs()].join(' ');
let dir = '';
let repo = '';

const gitEnv = {
  PATH: process.env.PATH ?? '',
  HOME: '/nonexistent',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Researcher',
  GIT_AUTHOR_EMAIL: 'researcher@example.com',
  GIT_COMMITTER_NAME: 'Researcher',
  GIT_COMMITTER_EMAIL: 'researcher@example.com',
};
const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: repo, env: gitEnv, encoding: 'utf8' }).trim();

interface ActionStep {
  id?: string;
  name?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Action {
  inputs: Record<string, { default?: string }>;
  runs: { using: string; steps: ActionStep[] };
}

/** Runs action.yml's check step with bash, inputs substituted as the runner would. */
async function runActionCheck(inputs: Record<string, string>) {
  const action = parse(await readFile(join(root, 'action.yml'), 'utf8')) as Action;
  const step = action.runs.steps.find((s) => s.id === 'check') as ActionStep;
  const value = (expr: string) =>
    expr.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_, name: string) => {
      const given = inputs[name];
      return given ?? action.inputs[name]?.default ?? '';
    });
  const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, value(v)]));
  const summary = join(dir, `summary-${Date.now()}.md`);
  await writeFile(summary, '');
  const r = spawnSync('bash', ['-e', '-c', step.run ?? ''], {
    cwd: repo,
    encoding: 'utf8',
    env: {
      ...gitEnv,
      ...env,
      BACKTESTCTL: backtestctl,
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: repo,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'quant/backtests',
    },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, summary: await readFile(summary, 'utf8') };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'btg-init-'));
  repo = join(dir, 'research-configs');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('backtestctl init and the GitHub Action', () => {
  it('init writes the starter repository, which validates, and refuses to overwrite it', async () => {
    const r = await runBacktestctl(['init', 'research-configs'], { cwd: dir, env: {} });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('created research-configs/backtests/grid_search.yaml');
    expect(r.stdout).toContain('cd research-configs && git init');
    const files = (await readdir(repo, { recursive: true })).sort();
    expect(files).toEqual(
      expect.arrayContaining([
        '.backtest-gitops/backtest.schema.json',
        '.github/workflows/backtest-gitops.yml',
        'README.md',
        'backtest-gitops.yaml',
        'backtests/grid_search.yaml',
        'backtests/multi_strategy.yaml',
        'backtests/single_backtest.yaml',
        'backtests/with_callbacks.yaml',
      ]),
    );
    const validate = await runBacktestctl(['validate'], { cwd: repo, env: {} });
    expect(validate).toMatchObject({ code: 0, stdout: '4 configs, 22 runs, 0 errors\n' });
    const again = await runBacktestctl(['init', 'research-configs'], { cwd: dir, env: {} });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('nothing was written');
  });

  it("the Action's check step annotates a broken config on its line and fails; fixed, it passes with the plan in the job summary", async () => {
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'start from backtestctl init');
    const base = git('rev-parse', 'HEAD');
    git('checkout', '-q', '-b', 'momentum');
    const config = [
      '# yaml-language-server: $schema=../.backtest-gitops/backtest.schema.json',
      'strategy_class: MomentumStrategy',
      'start_date: 2023-01-01',
      'end_date: 2023-12-31',
      'stop_los_pct: 4.0',
      'param_grid:',
      '  take_profit_pct: [5.0, 10.0]',
      '',
    ];
    await writeFile(join(repo, 'backtests/momentum.yaml'), config.join('\n'));
    git('add', '-A');
    git('commit', '-q', '-m', 'momentum sweep');

    const broken = await runActionCheck({ base });
    expect(broken.code, broken.stderr).toBe(1);
    expect(broken.stdout).toContain(
      '::error file=backtests/momentum.yaml,line=5,col=1,endLine=5,endColumn=13,title=backtest-gitops unknown-key::unknown key `stop_los_pct`%0Adid you mean `stop_loss_pct`?',
    );
    expect(broken.summary).toContain('backtests/momentum.yaml');

    config[4] = 'stop_loss_pct: 4.0';
    await writeFile(join(repo, 'backtests/momentum.yaml'), config.join('\n'));
    git('commit', '-q', '-am', 'fix the typo');
    const fixed = await runActionCheck({ base });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).not.toContain('::error');
    expect(fixed.summary).toMatch(/momentum/);
    expect(fixed.summary).toMatch(/create/i);
  });

  it('the workflow of the starter repository uses the Action with the history it needs', async () => {
    const workflow = parse(await readFile(join(repo, '.github/workflows/backtest-gitops.yml'), 'utf8'));
    const steps = workflow.jobs.check.steps as Array<{ uses?: string; with?: Record<string, unknown> }>;
    expect(steps[0]).toMatchObject({ uses: 'actions/checkout@v4', with: { 'fetch-depth': 0 } });
    expect(steps[1]?.uses).toMatch(/\/backtest-gitops@/);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not JavaScript
    expect(steps[1]?.with?.base).toBe('${{ github.event.pull_request.base.sha }}');
  });

  it("init writes this version's editor schema next to the configs the modelines point at", async () => {
    for (const name of ['backtest.schema.json', 'backtest-gitops.schema.json']) {
      expect(await readFile(join(repo, '.backtest-gitops', name), 'utf8'), name).toBe(
        await readFile(join(root, 'schema', name), 'utf8'),
      );
    }
    const config = await readFile(join(repo, 'backtests/grid_search.yaml'), 'utf8');
    expect(config.split('\n')[0]).toBe(
      '# yaml-language-server: $schema=../.backtest-gitops/backtest.schema.json',
    );
  });
});
