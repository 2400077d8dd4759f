import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfigDir } from '../../src/cli/read-config-dir.js';
import { type RepoSource, readRepoSource } from '../../src/cli/repo-source.js';
import { loadConfigRepo } from '../../src/config/index.js';
import { readWorkTreeCommits, readWorkTreeSnapshot } from '../../src/git/index.js';
import { renderRepo } from '../../src/render/index.js';
import { childEnv } from '../support/child-env.js';

/**
 * The no-op check's digest of a config folder (`readRepoSource`): a clean git work tree is
 * named by git's ids (nothing read), anything else by every file's bytes and last commit.
 * The property that makes skipping safe is checked on real repositories through a run of
 * edits, reverts, renames, dirty trees, clones: whenever two states have equal digests,
 * they render byte-identical DAG files.
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

const config = (capital: number) =>
  [
    'strategy_class: MomentumStrategy',
    'start_date: 2022-01-01',
    'end_date: 2022-12-31',
    `initial_capital: ${capital}`,
    'param_grid:',
    '  stop_loss_pct: [3.0, 5.0]',
    '',
  ].join('\n');

const settings = {
  environment: null,
  owner: { repo: 'github.com/o/r', path: 'research', environment: null, target: 's3://b/dags' },
};

/** What the render of this folder is: every DAG file's key and sha256, as apply would write them. */
async function renderOf(dir: string): Promise<string> {
  const [files, commits] = await Promise.all([readConfigDir(dir), readWorkTreeCommits(dir, childEnv)]);
  const loaded = loadConfigRepo(files, { commits });
  expect(loaded.invalidFiles).toEqual([]);
  return JSON.stringify(renderRepo(loaded.specs).map((f) => [f.key, f.sha256]));
}

/** The source and its digest under the test's settings. */
async function sourceOf(dir: string): Promise<Omit<RepoSource, 'digest'> & { digest: string }> {
  const source = await readRepoSource(dir, childEnv, dir);
  return { ...source, digest: source.digest(settings) };
}

describe('readRepoSource', () => {
  let root: string;
  let repo: string;
  /** The config folder: a sub-folder of the repository, as in a monorepo. */
  let dir: string;
  /** Every state seen: its digest and its render. */
  const seen: { name: string; form: string; digest: string; render: string }[] = [];

  async function record(name: string, at = dir) {
    const source = await sourceOf(at);
    const render = await renderOf(at);
    // The inputs the source hands the full path are the ones the render reads.
    const inputs = await source.inputs();
    expect(inputs.files).toEqual(await readConfigDir(at));
    seen.push({ name, form: source.form, digest: source.digest, render });
    return { ...source, render };
  }
  const commitAll = (msg: string) => {
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', msg);
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'btg-repo-source-'));
    repo = join(root, 'repo');
    dir = join(repo, 'research');
    await mkdir(join(dir, 'backtests'), { recursive: true });
    git(repo, 'init', '-q', '-b', 'main');
    await writeFile(join(dir, 'backtests', 'a.yaml'), config(1000));
    await writeFile(join(dir, 'backtests', 'b.yaml'), config(2000));
    await writeFile(join(dir, 'backtest-gitops.yaml'), 'max_runs_per_dag: 500\n');
    commitAll('two configs');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('a clean work tree is named by git ids: the same digest again, nothing read until asked', async () => {
    const first = await record('clean');
    const again = await record('clean again');
    expect(first.form).toBe('git');
    expect(again.digest).toBe(first.digest);
    const snapshot = await readWorkTreeSnapshot(dir, childEnv);
    expect(snapshot).toMatchObject({
      prefix: 'research/',
      tree: git(repo, 'rev-parse', 'HEAD:research'),
      lastChange: git(repo, 'rev-parse', 'HEAD'),
      shallow: [],
    });
    expect(snapshot?.tracked.sort()).toEqual([
      'backtest-gitops.yaml',
      'backtests/a.yaml',
      'backtests/b.yaml',
    ]);
  });

  it('a commit outside the config folder keeps the digest (and the render)', async () => {
    const before = seen.at(-1)?.digest;
    await writeFile(join(repo, 'README.md'), 'docs\n');
    commitAll('docs only');
    const after = await record('commit outside the folder');
    expect(after.form).toBe('git');
    expect(after.digest).toBe(before);
  });

  it('an edit, a revert (same bytes, new last commit) and a rename each change the digest', async () => {
    const clean = seen.at(-1) as (typeof seen)[number];
    await writeFile(join(dir, 'backtests', 'a.yaml'), config(1500));
    commitAll('edit a');
    const edited = await record('edit committed');
    expect(edited.digest).not.toBe(clean.digest);

    git(repo, 'revert', '--no-edit', 'HEAD');
    const reverted = await record('revert committed');
    // The bytes are back, but a.yaml's last commit is the revert: BACKTEST_COMMIT changes.
    expect(reverted.digest).not.toBe(clean.digest);
    expect(reverted.digest).not.toBe(edited.digest);
    expect(reverted.render).not.toBe(clean.render);

    git(repo, 'mv', 'research/backtests/b.yaml', 'research/backtests/c.yaml');
    git(repo, 'commit', '-q', '-m', 'rename b to c');
    const renamed = await record('rename committed');
    expect(renamed.form).toBe('git');
    expect(renamed.digest).not.toBe(reverted.digest);
  });

  it('a dirty work tree hashes the files: edited, staged, untracked or ignored configs', async () => {
    const committed = seen.at(-1) as (typeof seen)[number];
    const a = join(dir, 'backtests', 'a.yaml');

    await writeFile(a, config(1700));
    const edited = await record('edited, not committed');
    expect(edited.form).toBe('files');
    expect(edited.digest).not.toBe(committed.digest);
    git(repo, 'add', 'research/backtests/a.yaml');
    expect((await record('edited and staged')).form).toBe('files');
    git(repo, 'reset', '-q', 'HEAD', '--', 'research/backtests/a.yaml');
    git(repo, 'checkout', '-q', '--', 'research/backtests/a.yaml');
    expect((await record('edit undone')).digest).toBe(committed.digest);

    await writeFile(join(dir, 'backtests', 'new.yaml'), config(4000));
    const untracked = await record('untracked config');
    expect(untracked.form).toBe('files');
    expect(untracked.digest).not.toBe(committed.digest);

    await appendFile(join(repo, '.git', 'info', 'exclude'), 'new.yaml\n');
    const ignored = await record('ignored config');
    expect(ignored.form).toBe('files');
    await rm(join(dir, 'backtests', 'new.yaml'));

    // A file git was told to stop looking at may differ without `git diff` saying so.
    git(repo, 'update-index', '--assume-unchanged', 'research/backtests/a.yaml');
    await writeFile(a, config(1900));
    const unwatched = await record('edited behind --assume-unchanged');
    expect(unwatched.form).toBe('files');
    expect(unwatched.digest).not.toBe(committed.digest);
    git(repo, 'update-index', '--no-assume-unchanged', 'research/backtests/a.yaml');
    git(repo, 'checkout', '-q', '--', 'research/backtests/a.yaml');
    git(repo, 'update-index', '--skip-worktree', 'research/backtests/a.yaml');
    expect((await sourceOf(dir)).form).toBe('files');
    git(repo, 'update-index', '--no-skip-worktree', 'research/backtests/a.yaml');
    expect((await sourceOf(dir)).digest).toBe(committed.digest);

    // A file the render does not read may be untracked: the folder's configs are still as committed.
    await writeFile(join(dir, 'notes.txt'), 'scratch\n');
    expect((await record('untracked non-config file')).digest).toBe(committed.digest);
    await rm(join(dir, 'notes.txt'));
  });

  it('a checkout that may rewrite a config (core.autocrlf=true, eol=crlf, a filter) hashes the files', async () => {
    const committed = seen.at(-1) as (typeof seen)[number];
    git(repo, 'config', 'core.autocrlf', 'true');
    expect((await sourceOf(dir)).form).toBe('files');
    git(repo, 'config', '--unset', 'core.autocrlf');
    await writeFile(join(repo, '.git', 'info', 'attributes'), '*.yaml eol=crlf\n');
    expect((await sourceOf(dir)).form).toBe('files');
    await writeFile(join(repo, '.git', 'info', 'attributes'), '*.yaml filter=custom\n');
    expect((await sourceOf(dir)).form).toBe('files');
    // Only the files the render reads count: a filter on other files leaves the fast path.
    await writeFile(join(repo, '.git', 'info', 'attributes'), '*.md filter=custom\n');
    expect((await sourceOf(dir)).digest).toBe(committed.digest);
    await rm(join(repo, '.git', 'info', 'attributes'));
    expect((await sourceOf(dir)).digest).toBe(committed.digest);
  });

  it('a fresh clone of the same commit has the same digest; a shallow one (other last commits) not', async () => {
    const committed = seen.at(-1) as (typeof seen)[number];
    const clone = join(root, 'clone');
    git(root, 'clone', '-q', repo, clone);
    const cloned = await record('fresh clone', join(clone, 'research'));
    expect(cloned.form).toBe('git');
    expect(cloned.digest).toBe(committed.digest);

    const shallow = join(root, 'shallow');
    git(root, 'clone', '-q', '--depth', '1', `file://${repo}`, shallow);
    const cut = await record('shallow clone', join(shallow, 'research'));
    expect(cut.form).toBe('git');
    expect(cut.digest).not.toBe(committed.digest);
    expect(cut.render).not.toBe(committed.render);
  });

  it('merges: a side branch that changed a config, and a merge that keeps the main side (TREESAME)', async () => {
    const before = seen.at(-1) as (typeof seen)[number];
    git(repo, 'checkout', '-q', '-b', 'side');
    await writeFile(join(dir, 'backtests', 'a.yaml'), config(1800));
    commitAll('side changes a');
    git(repo, 'checkout', '-q', 'main');
    await writeFile(join(repo, 'README.md'), 'main moves on\n');
    commitAll('main: docs');
    git(repo, 'merge', '-q', '--no-ff', '-m', 'merge side', 'side');
    const merged = await record('side branch merged');
    expect(merged.form).toBe('git');
    expect(merged.digest).not.toBe(before.digest);

    // A branch that changes a config, merged with the main side's version kept: the folder is
    // as before the merge, but the side commit is now in history.
    git(repo, 'checkout', '-q', '-b', 'discarded');
    await writeFile(join(dir, 'backtests', 'a.yaml'), config(9999));
    commitAll('discarded change');
    git(repo, 'checkout', '-q', 'main');
    await writeFile(join(repo, 'README.md'), 'main moves on again\n');
    commitAll('main: docs again');
    git(repo, 'merge', '-q', '--no-ff', '-s', 'ours', '-m', 'merge discarded, keep ours', 'discarded');
    await record('merge keeping the main side');
  });

  it('a folder outside git hashes the files', async () => {
    const plain = join(root, 'plain');
    await mkdir(join(plain, 'backtests'), { recursive: true });
    await writeFile(join(plain, 'backtests', 'a.yaml'), config(1000));
    const outside = await record('not a git folder', plain);
    expect(outside.form).toBe('files');
    expect(await readWorkTreeSnapshot(plain, childEnv)).toBeNull();
    // git exits before reading the paths it was handed (not a repository): no snapshot, and
    // the failed write to its input (EPIPE) does not take the process down.
    const many = Array.from({ length: 20_000 }, (_, i) => `backtests/config_${i}.yaml`);
    expect(await readWorkTreeSnapshot(plain, childEnv, Promise.resolve(many))).toBeNull();
  });

  it('across every state seen: equal digests render equal DAG files', () => {
    expect(seen.length).toBeGreaterThan(10);
    for (const a of seen)
      for (const b of seen)
        if (a.digest === b.digest) expect(b.render, `${a.name} vs ${b.name}`).toBe(a.render);
  });
});
