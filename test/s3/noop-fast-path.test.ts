import { execFile, execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shortCliArgs } from '../support/cli.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { MOTO_ENV, type MotoServer, motoS3Client, startMoto } from '../support/moto.js';
import { projectRoot } from '../support/python.js';
import { createBucket } from './helpers.js';

/**
 * The no-op check from a git clone, as CI runs it: a clean work tree is named by git's ids,
 * so `apply` with nothing new is one HEAD and no body bytes either way; every change the
 * render would show — a commit, a revert that restores old bytes (BACKTEST_COMMIT moves), an
 * uncommitted edit — takes the full path and deploys it.
 */
const BUCKET = 'noop-fast-dags';
const target = `s3://${BUCKET}/dags`;
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Researcher',
  GIT_AUTHOR_EMAIL: 'researcher@example.com',
  GIT_COMMITTER_NAME: 'Researcher',
  GIT_COMMITTER_EMAIL: 'researcher@example.com',
};
let moto: MotoServer;
let proxy: FaultProxy;
let direct: S3Client;
let root: string;
let repo: string;

const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: gitEnv }).toString().trim();

/** `apply --yes` as a process, and what it cost on the wire. */
function apply(): Promise<{
  code: number;
  stdout: string;
  stderr: string;
  counts: Record<string, number>;
  up: number;
  down: number;
}> {
  const mark = proxy.log.length;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      shortCliArgs('apply', '--repo', repo, '--target', target, '--yes'),
      {
        cwd: projectRoot,
        env: { ...process.env, ...MOTO_ENV, AWS_ENDPOINT_URL_S3: proxy.endpoint, AWS_PROFILE: '' },
      },
      (err, stdout, stderr) => {
        const log = proxy.log.slice(mark);
        resolve({
          code: err ? Number(err.code ?? 1) : 0,
          stdout,
          stderr,
          counts: proxy.counts(mark),
          up: log.reduce((n, r) => n + r.bytes, 0),
          down: log.reduce((n, r) => n + r.responseBytes, 0),
        });
      },
    );
  });
}

async function expectOneHead(): Promise<void> {
  const again = await apply();
  expect(again.code, again.stderr).toBe(0);
  expect(again.stdout).toContain('no changes');
  expect(again.counts).toEqual({ 'HEAD manifest': 1 });
  expect(again.up).toBe(0);
  expect(again.down).toBe(0);
}

async function edit(from: string, to: string): Promise<void> {
  const file = join(repo, 'backtests/grid_search.yaml');
  const text = await readFile(file, 'utf8');
  expect(text).toContain(from);
  await writeFile(file, text.replace(from, to));
}

/** The BACKTEST_COMMIT values in the deployed grid_search DAG. */
async function deployedCommits(): Promise<string[]> {
  const res = await direct.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'dags/grid_search.py' }));
  const text = (await res.Body?.transformToString()) ?? '';
  return [
    ...new Set([...text.matchAll(/BACKTEST_COMMIT.{0,80}?\b([0-9a-f]{40})\b/gs)].map((m) => m[1] as string)),
  ];
}

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy({ upstream: moto.endpoint });
  direct = motoS3Client(moto.endpoint);
  await createBucket(direct, BUCKET);
  root = await mkdtemp(join(tmpdir(), 'btg-noop-fast-'));
  repo = join(root, 'repo');
  await cp(join(projectRoot, 'examples'), repo, { recursive: true });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'configs');
});
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('no-op from a clean git clone', () => {
  it('the second apply of a commit is one HEAD, 0 bytes up and down', async () => {
    const first = await apply();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('+ create grid_search');
    expect(await deployedCommits()).toEqual([git('rev-parse', 'HEAD')]);
    await expectOneHead();
  });

  it('a config commit deploys its DAG with the new commit, then is one HEAD again', async () => {
    await edit('initial_capital: 1000000.0', 'initial_capital: 3000000.0');
    git('commit', '-q', '-am', 'more capital');
    const changed = await apply();
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.counts['GET manifest']).toBe(1);
    expect(changed.stdout).toContain('~ update grid_search');
    expect(await deployedCommits()).toEqual([git('rev-parse', 'HEAD')]);
    await expectOneHead();
  });

  it('a revert restores the bytes but not the last commit: the DAG is redeployed with the revert', async () => {
    git('revert', '--no-edit', 'HEAD');
    const reverted = await apply();
    expect(reverted.code, reverted.stderr).toBe(0);
    expect(reverted.stdout).toContain('~ update grid_search');
    expect(await deployedCommits()).toEqual([git('rev-parse', 'HEAD')]);
    await expectOneHead();
  });

  it('an uncommitted edit deploys (no BACKTEST_COMMIT for it), then is a no-op too; committing it deploys again', async () => {
    await edit('initial_capital: 1000000.0', 'initial_capital: 2000000.0');
    const dirty = await apply();
    expect(dirty.code, dirty.stderr).toBe(0);
    expect(dirty.stdout).toContain('~ update grid_search');
    expect(await deployedCommits()).toEqual([]);
    await expectOneHead();

    git('commit', '-q', '-am', 'commit the edit');
    const committed = await apply();
    expect(committed.code, committed.stderr).toBe(0);
    expect(committed.stdout).toContain('~ update grid_search');
    expect(await deployedCommits()).toEqual([git('rev-parse', 'HEAD')]);
    await expectOneHead();
  });
});
