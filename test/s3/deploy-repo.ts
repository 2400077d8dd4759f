import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { runBacktestctl } from '../support/run-cli.js';

/**
 * A real config repository with the commits the deploy-truth tests apply, each checked out in
 * its own work tree (one object store, so git ancestry holds between them):
 * - base: four configs;
 * - change: updates two, deletes one, creates two (every kind of change);
 * - revert: `git revert` of change (a new commit whose tree is base's);
 * - newer: on top of change, updates one again, deletes one more, creates one.
 */
export interface DeployRepo {
  root: string;
  trees: Record<'base' | 'change' | 'revert' | 'newer', string>;
  commits: Record<'base' | 'change' | 'revert' | 'newer', string>;
  cleanup(): Promise<void>;
}

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A small valid config whose bytes differ by its capital. */
export function config(capital: number): string {
  return [
    'strategy_class: LongShortEquityStrategy',
    'start_date: 2022-01-01',
    'end_date: 2022-12-31',
    `initial_capital: ${capital}`,
    'factors: [DebtToEquity]',
    'rebalance_period: 1',
    '',
  ].join('\n');
}

export async function makeDeployRepo(): Promise<DeployRepo> {
  const root = await mkdtemp(join(tmpdir(), 'btg-truth-'));
  const main = join(root, 'repo');
  await mkdir(join(main, 'backtests'), { recursive: true });
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, {
      cwd,
      env: {
        ...process.env,
        GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
        GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
      },
    })
      .toString()
      .trim();
  const write = (name: string, capital: number) =>
    writeFile(join(main, 'backtests', `${name}.yaml`), config(capital));
  const commit = (msg: string) => {
    git(main, 'add', '-A');
    git(main, 'commit', '-q', '-m', msg);
    return git(main, 'rev-parse', 'HEAD');
  };
  git(main, 'init', '-q', '-b', 'main');
  git(main, 'config', 'user.email', 'ci@example.com');
  git(main, 'config', 'user.name', 'ci');
  // The owner recorded in the manifest is the origin URL, the same from every work tree.
  git(main, 'remote', 'add', 'origin', 'https://github.com/example-org/backtests.git');
  for (const [n, c] of [
    ['alpha', 1],
    ['beta', 2],
    ['gamma', 3],
    ['delta', 4],
  ] as const)
    await write(n, c * 1000);
  const base = commit('base');
  await write('alpha', 1001);
  await write('beta', 2002);
  await rm(join(main, 'backtests', 'gamma.yaml'));
  await write('epsilon', 5000);
  await write('zeta', 6000);
  const change = commit('change: 2 updated, 1 deleted, 2 created');
  await write('alpha', 1111);
  await rm(join(main, 'backtests', 'delta.yaml'));
  await write('eta', 7000);
  const newer = commit('newer');
  git(main, 'checkout', '-q', '-b', 'revert', change);
  git(main, 'revert', '--no-edit', change);
  const revert = git(main, 'rev-parse', 'HEAD');
  git(main, 'checkout', '-q', 'main');
  const commits = { base, change, revert, newer };
  const trees = {} as DeployRepo['trees'];
  for (const [name, sha] of Object.entries(commits)) {
    const dir = join(root, name);
    git(main, 'worktree', 'add', '-q', '--detach', dir, sha);
    trees[name as keyof typeof commits] = dir;
  }
  return { root, trees, commits, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** What `backtestctl render` writes for a work tree: key → sha256 (the bytes apply must leave). */
export async function renderedHashes(tree: string): Promise<Map<string, string>> {
  const out = await mkdtemp(join(tmpdir(), 'btg-render-'));
  try {
    const r = await runBacktestctl(['render', '--repo', tree, '--out', out]);
    if (r.code !== 0) throw new Error(`render failed: ${r.stderr}`);
    return await hashFolder(out);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

async function hashFolder(
  dir: string,
  sub = dir,
  out = new Map<string, string>(),
): Promise<Map<string, string>> {
  for (const e of await readdir(sub, { withFileTypes: true })) {
    const p = join(sub, e.name);
    if (e.isDirectory()) await hashFolder(dir, p, out);
    else out.set(relative(dir, p), sha256(await readFile(p)));
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Every object under `prefix/` but the bookkeeping, key (relative) → sha256 of its bytes, read straight from moto. */
export async function bucketHashes(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: `${prefix}/`,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const o of page.Contents ?? []) {
      // The controller's bookkeeping (manifest, lease) is not a DAG.
      if (!o.Key || o.Key.includes('/.backtest-gitops/')) continue;
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
      out.set(
        o.Key.slice(prefix.length + 1),
        sha256(Buffer.from((await got.Body?.transformToByteArray()) ?? [])),
      );
    }
    token = page.NextContinuationToken;
  } while (token);
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}
