/**
 * Deploying N backtest configs to S3: `backtestctl apply` vs `aws s3 sync --delete`, both as
 * the whole processes a CI job runs, against a local moto S3 behind a counting proxy. For
 * N = 100 / 1,000 / 5,000 (BENCH_QUICK=1: 100 only; BENCH_SIZES=a,b to choose) it prints
 * per scenario the S3 requests, bytes up (request bodies) and down (response bodies) and the
 * wall time of each process.
 *   npx tsx bench/s3-sync.ts
 * Ours reads, validates and renders the config folder itself; the peer syncs a folder freshly
 * rendered by `backtestctl render` (as a CI job does after a fresh clone: every file has a new
 * mtime), whose time is printed apart. The config folder is a git repository and every change
 * is committed, as a CI job deploys a commit. Scenarios: (a) first deploy, (b) no change,
 * (c) one config changed, (d) one config deleted.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { readConfigDir } from '../src/cli/read-config-dir.js';
import { readWorkTreeCommits } from '../src/git/local-repo.js';
import { prepareSync } from '../src/pipeline/prepare-sync.js';
import { applyPlan } from '../src/targets/apply-plan.js';
import { S3DagStore } from '../src/targets/s3-dag-store.js';
import { startFaultProxy } from '../test/support/fault-proxy.js';
import { MOTO_ENV, motoS3Client, startMoto } from '../test/support/moto.js';
import { projectRoot, venvBin } from '../test/support/python.js';
import { benchSizes, buildCli } from './build-cli.js';

const BUCKET = 'bench-dags';

function configYaml(i: number, capital: number): string {
  return [
    `description: Synthetic backtest ${i} for the S3 sync benchmark.`,
    'tags: [bench]',
    `strategy_class: ${i % 2 ? 'MomentumStrategy' : 'LongShortEquityStrategy'}`,
    'start_date: 2022-01-01',
    'end_date: 2022-12-31',
    `initial_capital: ${capital}`,
    'factors: [DebtToEquity, Momentum12m]',
    'rebalance_period: 5',
    'param_grid:',
    `  take_profit_pct: [5.0, ${10 + (i % 7)}.0, 15.0]`,
    '  stop_loss_pct: [3.0, 5.0, 8.0]',
    '',
  ].join('\n');
}

const configPath = (repo: string, i: number) =>
  join(repo, 'backtests', `bt_${String(i).padStart(4, '0')}.yaml`);

interface Measure {
  requests: number;
  up: number;
  down: number;
  seconds: number;
  detail: string;
}

const moto = await startMoto();
const proxy = await startFaultProxy({ upstream: moto.endpoint });
await motoS3Client(moto.endpoint).send(new CreateBucketCommand({ Bucket: BUCKET }));
const work = await mkdtemp(join(projectRoot, '.cache', 'bench-s3-'));
const env = { PATH: process.env.PATH ?? '', HOME: work, ...MOTO_ENV };

const gitEnv = {
  ...env,
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
};
const git = (repo: string, ...args: string[]) => execFileSync('git', args, { cwd: repo, env: gitEnv });
const headCommit = (repo: string) => git(repo, 'rev-parse', 'HEAD').toString().trim();
const commitAll = (repo: string, message: string) => {
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', message);
};

function spawnTimed(file: string, args: string[]): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) =>
    execFile(file, args, { env, maxBuffer: 256 << 20 }, (err, _out, stderr) =>
      err
        ? reject(new Error(`${file} ${args[0]} ${args[1]} failed: ${stderr}`))
        : resolve((performance.now() - t0) / 1000),
    ),
  );
}

async function measure(run: () => Promise<number>): Promise<Measure & { bookUp: number; bookDown: number }> {
  await new Promise((r) => setTimeout(r, 200)); // let the previous process's connections close
  const mark = proxy.log.length;
  const seconds = await run();
  const seen = proxy.log.slice(mark);
  const counts = proxy.counts(mark);
  const book = seen.filter((r) => r.kind === 'manifest' || r.kind === 'shard');
  return {
    requests: seen.length,
    up: seen.reduce((a, r) => a + r.bytes, 0),
    down: seen.reduce((a, r) => a + r.responseBytes, 0),
    bookUp: book.reduce((a, r) => a + r.bytes, 0),
    bookDown: book.reduce((a, r) => a + r.responseBytes, 0),
    seconds,
    detail: Object.entries(counts)
      .sort()
      .map(([k, v]) => `${v} ${k}`)
      .join(', '),
  };
}

try {
  const main = buildCli(join(work, 'cli'));
  const node = process.execPath;
  for (const N of benchSizes()) {
    const repo = join(work, `repo-${N}`);
    await mkdir(join(repo, 'backtests'), { recursive: true });
    for (let i = 0; i < N; i++) await writeFile(configPath(repo, i), configYaml(i, 1_000_000));
    git(repo, 'init', '-q', '-b', 'main');
    commitAll(repo, `${N} configs`);
    let renders = 0;
    const rows: {
      name: string;
      ours: Measure & { bookUp: number; bookDown: number };
      peer: Measure;
      render: number;
    }[] = [];
    const applyOurs = () =>
      spawnTimed(node, [
        main,
        'apply',
        '--repo',
        repo,
        '--target',
        `s3://${BUCKET}/ours-${N}`,
        '--s3-endpoint',
        proxy.endpoint,
        '--yes',
      ]);
    const scenario = async (name: string) => {
      const ours = await measure(applyOurs);
      const out = join(work, `render-${N}-${renders++}`);
      const render = await spawnTimed(node, [main, 'render', '--repo', repo, '--out', out]);
      const peer = await measure(() =>
        spawnTimed(venvBin('tools', 'aws'), [
          's3',
          'sync',
          out,
          `s3://${BUCKET}/peer-${N}`,
          '--delete',
          '--endpoint-url',
          proxy.endpoint,
          '--only-show-errors',
        ]),
      );
      await rm(out, { recursive: true, force: true });
      rows.push({ name, ours, peer, render });
    };
    await scenario('(a) first deploy');
    await scenario('(b) no change');
    await writeFile(configPath(repo, 17), configYaml(17, 2_500_000));
    commitAll(repo, 'change one config');
    await scenario('(c) one config changed');
    await rm(configPath(repo, 42));
    commitAll(repo, 'delete one config');
    await scenario('(d) one config deleted');
    // The no-op again, 3 times, for a median: it is the call CI and the controller make most.
    const noops: Measure[] = [];
    for (let run = 0; run < 3; run++) noops.push(await measure(applyOurs));

    // The controller: one store for its life. Like a fresh CLI, it reads only the shards whose
    // key hash differs from its render (none here: the target is as rendered).
    const store = new S3DagStore({
      client: motoS3Client(proxy.endpoint),
      bucket: BUCKET,
      prefix: `ours-${N}`,
      endpoint: proxy.endpoint,
    });
    const deploy = async (commit: string) => {
      const t0 = performance.now();
      const [files, commits] = await Promise.all([readConfigDir(repo), readWorkTreeCommits(repo, env)]);
      const { plan, desired } = await prepareSync({ files, commits, store, commit });
      const r = await applyPlan(plan, desired, store);
      if (!r.ok) throw new Error(`in-process apply failed: ${JSON.stringify(r.failed)}`);
      return (performance.now() - t0) / 1000;
    };
    const warm = await measure(() => deploy(headCommit(repo)));
    await writeFile(configPath(repo, 18), configYaml(18, 2_500_000));
    commitAll(repo, 'change one more config');
    const controller = await measure(() => deploy(headCommit(repo)));

    const mb = (b: number) => (b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${(b / 1e3).toFixed(1)} KB`);
    const cell = (m: Measure) =>
      `${String(m.requests).padStart(5)} req ${mb(m.up).padStart(9)} up ${mb(m.down).padStart(9)} down ${`${m.seconds.toFixed(2)} s`.padStart(8)}`;
    console.log(`\nS3 deploy, ${N} configs, moto behind a counting proxy; whole processes, wall time`);
    console.log(
      `${'scenario'.padEnd(24)} ${'backtestctl apply'.padEnd(46)} ${'aws s3 sync --delete (after render)'.padEnd(46)} render`,
    );
    for (const r of rows)
      console.log(
        `${r.name.padEnd(24)} ${cell(r.ours).padEnd(46)} ${cell(r.peer).padEnd(46)} ${r.render.toFixed(2)} s`,
      );
    const median = [...noops].sort((x, y) => x.seconds - y.seconds)[1] as Measure;
    console.log(
      `no-op apply, 3 more runs: ${noops.map((m) => `${m.seconds.toFixed(2)} s`).join(', ')} (median ${median.seconds.toFixed(2)} s); ` +
        `each ${noops.map((m) => `${m.requests} req, ${m.up + m.down} body bytes`).join(' / ')}`,
    );
    console.log('requests by kind:');
    for (const r of rows) console.log(`  ${r.name}: ours ${r.ours.detail}; peer ${r.peer.detail}`);
    const book = (m: { bookUp: number; bookDown: number }) => `${mb(m.bookUp)} up, ${mb(m.bookDown)} down`;
    const c = rows.find((r) => r.name.startsWith('(c)'))?.ours;
    console.log(`one config changed, ${N} configs: manifest bookkeeping (root + shards), DAG bytes excluded`);
    if (c)
      console.log(`  backtestctl apply (fresh process): ${c.requests} requests, ${book(c)}; ${c.detail}`);
    console.log(
      `  controller, first deploy after start (reads only shards that differ from its render): ${warm.requests} requests, ${book(warm)}`,
    );
    console.log(
      `  controller, store kept (as serve): ${controller.requests} requests, ${book(controller)}; ${controller.detail}`,
    );
  }
  console.log(
    '\naws s3 sync compares size and mtime, so a fresh render re-uploads every file; --delete removes anything',
  );
  console.log(
    'under the prefix that is not in the folder, owned or not. backtestctl touches only files it owns.',
  );
} finally {
  await proxy.stop();
  await moto.stop();
  await rm(work, { recursive: true, force: true });
}
