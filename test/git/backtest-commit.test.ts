import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfigDir } from '../../src/cli/read-config-dir.js';
import { iterateRuns } from '../../src/config/expand-runs.js';
import { loadConfigRepo } from '../../src/config/index.js';
import type { BacktestSpec } from '../../src/config/types.js';
import { openLocalRepo, readWorkTreeCommits } from '../../src/git/index.js';
import { buildDagPayload } from '../../src/render/dag-payload.js';
import { renderRepo } from '../../src/render/index.js';
import { runEnvironment } from '../../src/render/run-environment.js';
import { config } from '../s3/deploy-repo.js';
import { childEnv } from '../support/child-env.js';
import { runBacktestctl } from '../support/run-cli.js';

/**
 * BACKTEST_COMMIT: each run's environment names the last commit that changed its own config
 * file (not the deployed HEAD), read from real git repositories; unknown → no variable.
 */

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Researcher',
  GIT_AUTHOR_EMAIL: 'researcher@example.com',
  GIT_COMMITTER_NAME: 'Researcher',
  GIT_COMMITTER_EMAIL: 'researcher@example.com',
};
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, env: gitEnv }).toString().trim();

/** The value of a run variable in the rendered DAG's payload, for every strategy. */
function commitsInDag(spec: BacktestSpec): (string | undefined)[] {
  return buildDagPayload(spec).strategies.map(
    (s) => s.extra_env.find((e) => e.name === 'BACKTEST_COMMIT')?.value,
  );
}

function commitInRuns(spec: BacktestSpec): (string | undefined)[] {
  return [...iterateRuns(spec)].map(
    (run) => runEnvironment(run, spec).find((e) => e.name === 'BACKTEST_COMMIT')?.value,
  );
}

describe('BACKTEST_COMMIT', () => {
  let root: string;
  let repo: string;
  const commits: string[] = [];

  const commit = (msg: string) => {
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', msg);
    const sha = git(repo, 'rev-parse', 'HEAD');
    commits.push(sha);
    return sha;
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'btg-commit-'));
    repo = join(root, 'repo');
    await mkdir(join(repo, 'backtests'), { recursive: true });
    git(repo, 'init', '-q', '-b', 'main');
    await writeFile(join(repo, 'backtests', 'a.yaml'), config(1000));
    await writeFile(join(repo, 'backtests', 'b.yaml'), config(2000));
    commit('two configs'); // commits[0]
    await writeFile(join(repo, 'backtests', 'a.yaml'), config(1500));
    commit('change a'); // commits[1]
    await writeFile(join(repo, 'README.md'), 'unrelated\n');
    await writeFile(join(repo, 'backtest-gitops.yaml'), 'max_runs_per_dag: 500\n');
    commit('settings and docs only'); // commits[2]
  });

  afterAll(() => rm(root, { recursive: true, force: true }));

  async function renderAt(sha: string) {
    const reader = openLocalRepo(repo, childEnv);
    const [files, last] = await Promise.all([reader.readConfigFiles(sha), reader.lastCommits(sha)]);
    const loaded = loadConfigRepo(files, { commits: last });
    const spec = (source: string) => loaded.specs.find((s) => s.source === source) as BacktestSpec;
    const bytes = new Map(renderRepo(loaded.specs).map((f) => [f.key, f.sha256]));
    return { spec, bytes, last };
  }

  it('a commit that changes config A only changes A: new SHA and bytes for A, B keeps both', async () => {
    const before = await renderAt(commits[0] as string);
    const after = await renderAt(commits[1] as string);
    expect(commitsInDag(before.spec('backtests/a.yaml'))).toEqual([commits[0]]);
    expect(commitsInDag(after.spec('backtests/a.yaml'))).toEqual([commits[1]]);
    expect(commitsInDag(after.spec('backtests/b.yaml'))).toEqual([commits[0]]);
    expect(commitInRuns(after.spec('backtests/a.yaml'))).toEqual([commits[1]]);
    expect(commitInRuns(after.spec('backtests/b.yaml'))).toEqual([commits[0]]);
    expect(after.bytes.get('a.py')).not.toBe(before.bytes.get('a.py'));
    expect(after.bytes.get('b.py')).toBe(before.bytes.get('b.py'));
  });

  it('the later of two commits touching a file; a settings-only commit moves no config (and no bytes)', async () => {
    const head = await renderAt(commits[2] as string);
    const previous = await renderAt(commits[1] as string);
    expect(head.last.get('backtests/a.yaml')).toBe(commits[1]);
    expect(head.last.get('backtests/b.yaml')).toBe(commits[0]);
    expect(head.last.get('backtest-gitops.yaml')).toBe(commits[2]);
    expect(commitsInDag(head.spec('backtests/a.yaml'))).toEqual([commits[1]]);
    expect(head.bytes.get('a.py')).toBe(previous.bytes.get('a.py'));
    expect(head.bytes.get('b.py')).toBe(previous.bytes.get('b.py'));
    // The adapter's answer agrees with git's own `log -1 -- PATH`.
    expect(git(repo, 'log', '-1', '--format=%H', '--', 'backtests/a.yaml')).toBe(commits[1]);
  });

  it('a merge keeps the branch commit that changed a file (as `git log -1 -- FILE`)', async () => {
    const merges = join(root, 'merges');
    git(root, 'clone', '-q', repo, merges);
    git(merges, 'checkout', '-q', '-b', 'feature');
    await writeFile(join(merges, 'backtests', 'a.yaml'), config(1700));
    git(merges, 'commit', '-q', '-am', 'feature changes a');
    const feature = git(merges, 'rev-parse', 'HEAD');
    git(merges, 'checkout', '-q', 'main');
    await writeFile(join(merges, 'backtests', 'b.yaml'), config(2700));
    git(merges, 'commit', '-q', '-am', 'main changes b');
    const onMain = git(merges, 'rev-parse', 'HEAD');
    git(merges, 'merge', '-q', '--no-ff', '-m', 'merge feature', 'feature');
    const merge = git(merges, 'rev-parse', 'HEAD');
    const last = await openLocalRepo(merges, childEnv).lastCommits(merge);
    expect(last.get('backtests/a.yaml')).toBe(feature);
    expect(last.get('backtests/b.yaml')).toBe(onMain);
    for (const path of ['backtests/a.yaml', 'backtests/b.yaml'])
      expect(last.get(path)).toBe(git(merges, 'log', '-1', '--format=%H', merge, '--', path));
  });

  it('a work-tree folder: committed files get their commit; modified and untracked files none', async () => {
    const work = join(root, 'work');
    git(root, 'clone', '-q', repo, work);
    await writeFile(join(work, 'backtests', 'b.yaml'), config(2500)); // modified, unstaged
    await writeFile(join(work, 'backtests', 'c.yaml'), config(3000)); // untracked
    const fromRoot = await readWorkTreeCommits(work, childEnv);
    expect(fromRoot.get('backtests/a.yaml')).toBe(commits[1]);
    expect(fromRoot.has('backtests/b.yaml')).toBe(false);
    expect(fromRoot.has('backtests/c.yaml')).toBe(false);
    // A config folder inside the repository: paths relative to it, as readConfigDir gives them.
    const fromSub = await readWorkTreeCommits(join(work, 'backtests'), childEnv);
    expect(fromSub.get('a.yaml')).toBe(commits[1]);
    expect(fromSub.has('b.yaml')).toBe(false);
    git(work, 'add', 'backtests/b.yaml'); // staged but not committed: still unknown
    expect((await readWorkTreeCommits(work, childEnv)).has('backtests/b.yaml')).toBe(false);
  });

  it('a folder outside git: no BACKTEST_COMMIT anywhere', async () => {
    const plain = join(root, 'plain');
    await mkdir(join(plain, 'backtests'), { recursive: true });
    await writeFile(join(plain, 'backtests', 'a.yaml'), config(1000));
    const last = await readWorkTreeCommits(plain, childEnv);
    expect(last.size).toBe(0);
    const loaded = loadConfigRepo(await readConfigDir(plain), { commits: last });
    const spec = loaded.specs[0] as BacktestSpec;
    expect(spec.source_commit).toBeUndefined();
    expect(commitsInDag(spec)).toEqual([undefined]);
    expect(commitInRuns(spec)).toEqual([undefined]);
    expect(renderRepo(loaded.specs).find((f) => f.key === 'a.py')?.content).not.toContain('BACKTEST_COMMIT');
  });

  it('`backtestctl expand --format json` names the commit when git knows it', async () => {
    const out = await runBacktestctl(['expand', '--repo', repo, 'backtests/a.yaml', '--format', 'json'], {
      cwd: repo,
    });
    expect(JSON.parse(out.stdout).commit).toBe(commits[1]);
    const plain = join(root, 'plain');
    const none = await runBacktestctl(['expand', '--repo', plain, 'backtests/a.yaml', '--format', 'json'], {
      cwd: plain,
    });
    expect(JSON.parse(none.stdout).commit).toBeUndefined();
  });
});
