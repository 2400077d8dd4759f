import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandRuns, loadConfigRepo } from '../../src/config/index.js';
import type { BacktestSpec } from '../../src/config/types.js';
import { connectMwaa } from '../../src/mwaa/mwaa-connection.js';
import { resultsS3Uri, runEnvironment } from '../../src/render/index.js';
import { parseEnv } from '../../src/shared/env.js';
import { independentDsr, type SharpeSample } from '../results/independent-dsr.js';
import { batchJobEnv, playRunStates, runJobs } from '../results/jobs.js';
import { manifestAt } from '../s3/helpers.js';
import { DemoNarrator } from '../support/demo-narrator.js';
import {
  createGitRemote,
  type GitHubServer,
  type GitRemoteFixture,
  PullRequestFlow,
  startGitHubServer,
} from '../support/github-server/index.js';
import { MOTO_ENV, type MotoServer, motoS3Client, startMoto } from '../support/moto.js';
import { type MwaaFake, startMwaaFake } from '../support/mwaa-fake/index.js';
import { type ServeProcess, startServe } from '../support/serve-process.js';

/**
 * The user's day, through every real part at once: a real git remote, the local GitHub API
 * (driven by the real Octokit inside the controller), moto S3, the MWAA fake whose CLI runs
 * the real Airflow 2.11, and `backtestctl serve` as a child process.
 *
 * Set BACKTEST_GITOPS_DEMO=1 (`npm run demo` does) to narrate it: numbered steps, timings, the
 * bot's comments as a reader sees them and the deployed files summarised.
 */
const story = new DemoNarrator(process.env.BACKTEST_GITOPS_DEMO === '1');

const BUCKET = 'acme-mwaa-dags';
const RESULTS_BUCKET = 'acme-backtest-results';
/** The run of the sweep whose Batch job fails. */
const FAILED_RUN = 7;
/** What each other run's job reports (deterministic, varied). */
const sample = (i: number): SharpeSample => ({
  sharpe: Number((0.2 + ((i * 5) % 9) / 6).toFixed(4)),
  n: 252,
  skew: -0.3 + i / 40,
  kurtosis: 3.2 + i / 8,
});
/** Four significant digits, as the comment shows numbers. */
const shown = (v: number) => String(Number(v.toPrecision(4)));
const ENV_NAME = 'research-prod';
const GRID_FILE = 'backtests/momentum_grid.yaml';

const GRID_CONFIG = `# yaml-language-server: $schema=../schema/backtest.schema.json
description: Momentum with a take-profit / stop-loss sweep
strategy_class: LongShortEquityStrategy
start_date: 2022-01-01
end_date: 2022-12-31
factors: [DebtToEquity]
rebalance_period: 1
param_grid:
  take_profit_pct: [5.0, 10.0, 15.0]
  stop_loss_pct: [3.0, 5.0, 8.0]
`;
const VALUE_CONFIG = `strategy_class: ValueStrategy
start_date: 2021-01-01
end_date: 2021-12-31
take_profit_pct: 10.0
stop_loss_pct: 5.0
`;
// Line 10 misspells stop_loss_pct; the bot must point at 10:3.
const BROKEN_CONFIG = GRID_CONFIG.replace('  stop_loss_pct:', '  stop_los_pct:');

const UNOWNED = {
  'dags/hand_written_dag.py': '# deployed by hand, not ours\n',
  'dags/other_team/etl.py': '# not ours\n',
};

let moto: MotoServer;
let s3: S3Client;
let mwaa: MwaaFake;
let github: GitHubServer;
let remote: GitRemoteFixture;
let flow: PullRequestFlow;
let serve: ServeProcess;
let dir: string;
const unownedEtags = new Map<string, string>();

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 240_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for: ${what}\n${serve?.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function s3Keys(): Promise<string[]> {
  const res = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  return (res.Contents ?? []).map((o) => o.Key ?? '').sort();
}

/** What the bucket holds, with sizes, and for our DAGs their config and runs (from the manifest). */
async function bucketSummary(): Promise<Array<{ name: string; bytes: number; about?: string }>> {
  const res = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  const manifest = (await manifestAt(s3, BUCKET, 'dags').catch(() => null)) ?? { entries: [] };
  const owned = new Map<string, { source: string | null; runs: number; dag_id: string | null }>(
    (manifest.entries ?? []).map(
      (e: { key: string; source: string | null; runs: number; dag_id: string | null }) => [
        `dags/${e.key}`,
        e,
      ],
    ),
  );
  return (res.Contents ?? []).map((o) => {
    const entry = owned.get(o.Key ?? '');
    const about = entry?.dag_id
      ? `DAG ${entry.dag_id}, ${entry.runs} run${entry.runs === 1 ? '' : 's'}, from ${entry.source}`
      : entry
        ? 'owned support file'
        : o.Key?.endsWith('manifest.json')
          ? 'the manifest: what backtest-gitops owns'
          : o.Key?.includes('.backtest-gitops/manifest-shards/')
            ? 'a shard of the manifest (its entries)'
            : 'not ours: never touched';
    return { name: o.Key ?? '', bytes: o.Size ?? 0, about };
  });
}

function mwaaConnection() {
  return connectMwaa(ENV_NAME, parseEnv({ ...MOTO_ENV, BACKTEST_GITOPS_MWAA_ENDPOINT: mwaa.endpoint }));
}

/** The latest status of a context on a commit (statusesFor lists newest first, like GitHub). */
function statusOf(sha: string, context: string) {
  return github.state.statusesFor(sha).find((s) => s.context === context);
}

function stickyComments(pr: number) {
  return github.state.commentsOn(pr).filter((c) => c.body.includes('backtest-gitops:head='));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'btg-e2e-'));
  moto = await startMoto();
  s3 = motoS3Client(moto.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (const [Key, Body] of Object.entries(UNOWNED)) {
    const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
    unownedEtags.set(Key, put.ETag ?? '');
  }
  await s3.send(new CreateBucketCommand({ Bucket: RESULTS_BUCKET }));
  mwaa = await startMwaaFake({ s3Endpoint: moto.endpoint, bucket: BUCKET, prefix: 'dags', name: ENV_NAME });
  // The environment's results bucket, as `backtestctl mwaa variables sync` would set it.
  await mwaaConnection().airflow.setVariable('trading_strategies_bucket', RESULTS_BUCKET);
  github = await startGitHubServer({ owner: 'acme', repo: 'backtests' });
  remote = createGitRemote();
  flow = new PullRequestFlow(github, remote);
  // The team already runs one backtest; it must survive everything below untouched.
  remote.commit({ 'README.md': '# Backtest configs\n', 'backtests/value_single.yaml': VALUE_CONFIG });
  remote.push('main');

  const config = join(dir, 'controller.yaml');
  writeFileSync(
    config,
    [
      `repo: { url: ${JSON.stringify(remote.bareDir)} }`,
      `target: mwaa://${ENV_NAME}`,
      'mwaa: { verify: true, wait_seconds: 180, unpause_new: true, trigger_new: true }',
      `github: { repository: ${github.owner}/${github.repo}, base_url: ${JSON.stringify(github.baseUrl)} }`,
      'schedule: "*/2 * * * * *"',
      `cache_dir: ${JSON.stringify(join(dir, 'cache'))}`,
      'http: { port: 0, host: 127.0.0.1 }',
      'log: { level: info }',
    ].join('\n'),
  );
  serve = await startServe(config, {
    ...MOTO_ENV,
    GITHUB_TOKEN: github.token,
    BACKTEST_GITOPS_MWAA_ENDPOINT: mwaa.endpoint,
    BACKTEST_GITOPS_S3_ENDPOINT: moto.endpoint,
  });
}, 600_000);

afterAll(async () => {
  await serve?.stop('SIGTERM');
  await mwaa?.stop();
  await github?.stop();
  await moto?.stop();
  remote?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A named step of the story: its failure says which step failed. */
async function step(name: string, run: () => Promise<void> | void): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (err instanceof Error) err.message = `${name}: ${err.message}`;
    throw err;
  }
}

describe("a researcher's day", () => {
  let pr = 0;
  let mergeSha = '';

  // One story, one test: each step needs the state the previous one left (the open PR, the
  // merge), so they run in order inside it and a failure names its step. Nothing outside
  // this test depends on it, and it depends on no other test.
  it('opens a PR, pushes a typo, fixes and merges it, then retires it', async () => {
    await step(
      '1. opens a PR adding a grid config: one bot comment with the plan (9 runs) and a success status',
      async () => {
        story.step(
          `A researcher opens a pull request adding ${GRID_FILE}`,
          'A 3 × 3 take-profit / stop-loss sweep. The controller (backtestctl serve, polling every 2 s here) validates the PR, renders the DAG it would deploy and plans it against what is deployed; nothing reaches the bucket before the merge.',
        );
        const opened = flow.openPr('momentum-grid', { [GRID_FILE]: GRID_CONFIG });
        pr = opened.number;
        const status = await eventually('validate status on the PR head', () =>
          statusOf(opened.sha, 'backtest-gitops/validate'),
        );
        expect(status.state).toBe('success');
        const comments = await eventually('the sticky comment', () =>
          stickyComments(pr).length ? stickyComments(pr) : undefined,
        );
        expect(comments).toHaveLength(1);
        const body = comments[0]?.body ?? '';
        story.note(`commit status backtest-gitops/validate: ${status.state}`);
        story.comment('the bot comment on the PR', body);
        expect(body).toContain('momentum_grid');
        expect(body).toMatch(/create/);
        expect(body).toMatch(/\|\s*9\s*\|/);
        expect(await s3Keys()).not.toContain('dags/momentum_grid.py');
      },
    );

    await step(
      '2. pushes a broken change: the same comment now lists the error at its line, status failure, nothing deployed',
      async () => {
        story.step(
          'The researcher pushes a typo (stop_los_pct)',
          'The bot edits its one comment in place (never a second one) and points at the line and column with a hint; the status turns red so the PR cannot be merged by mistake.',
        );
        const sha = flow.pushPr(pr, { [GRID_FILE]: BROKEN_CONFIG });
        const status = await eventually('failure status on the new head', () =>
          statusOf(sha, 'backtest-gitops/validate'),
        );
        expect(status.state).toBe('failure');
        const comments = await eventually('the sticky comment edited for the new head', () => {
          const c = stickyComments(pr);
          return c.length === 1 && c[0]?.body.includes(sha) ? c : undefined;
        });
        const body = comments[0]?.body ?? '';
        story.note(`commit status backtest-gitops/validate: ${status.state}`);
        story.comment('the same comment, edited', body);
        expect(body).toContain(`${GRID_FILE}:10:3`);
        expect(body).toContain('stop_loss_pct');
        expect(await s3Keys()).not.toContain('dags/momentum_grid.py');
      },
    );

    await step(
      '3. fixes and merges: the DAG lands in S3, Airflow imports it, deploy status on the merge commit and a report on the PR',
      async () => {
        story.step(
          'The typo is fixed and the PR merged',
          'On the new default-branch commit the controller renders every config, uploads only what changed (one DAG file plus its manifest) to the MWAA DAG bucket (moto S3 here), asks Airflow through the MWAA CLI endpoint (a real Airflow 2.11 here) whether it imported the DAG, unpauses it, and reports on the merge commit and the PR.',
        );
        const fixed = flow.pushPr(pr, { [GRID_FILE]: GRID_CONFIG });
        await eventually(
          'success status on the fixed head',
          () => statusOf(fixed, 'backtest-gitops/validate')?.state === 'success',
        );
        mergeSha = flow.mergePr(pr);
        const deploy = await eventually(
          'deploy status on the merge commit',
          () => statusOf(mergeSha, 'backtest-gitops/deploy'),
          300_000,
        );
        expect(deploy.state).toBe('success');
        expect(await s3Keys()).toContain('dags/momentum_grid.py');
        const dag = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'dags/momentum_grid.py' }));
        expect(await dag.Body?.transformToString()).toContain(GRID_FILE);
        // Real Airflow (through the MWAA CLI endpoint) was asked about the import.
        expect(
          mwaa.stats.cliCalls.some((c) => c.includes('list-import-errors') || c.includes('dags list')),
        ).toBe(true);
        const report = await eventually('deploy report on the merged PR', () =>
          github.state.commentsOn(pr).find((c) => c.body.includes(`backtest-gitops:deploy=${mergeSha}`)),
        );
        story.note(`commit status backtest-gitops/deploy on the merge commit: ${deploy.state}`);
        story.files('the DAG bucket now holds', await bucketSummary());
        story.comment('the deploy report on the merged PR', report.body);
        expect(report.body).toContain('momentum_grid');
        expect(report.body).toMatch(/\| `momentum_grid` \| create \| yes \|/);
      },
    );

    await step(
      '3b. the sweep runs: one results comment ranks the 9 runs, draws the heatmap, deflates the best Sharpe, links the failed run',
      async () => {
        story.step(
          'The merge triggered the sweep; its jobs write their metrics',
          'Airflow runs the 9 Batch jobs (here the test plays the scheduler and the jobs: run 7 fails, the others call write_metrics, writing metrics.json to the results bucket). The controller follows the DAG run through the MWAA CLI endpoint and keeps one results comment on the merged PR.',
        );
        const spec = loadConfigRepo(new Map([[GRID_FILE, GRID_CONFIG]])).specs[0] as BacktestSpec;
        const connection = mwaaConnection();
        const runId = await eventually('the DAG run the deploy triggered', async () => {
          const out = await connection.cli.run(['dags', 'list-runs', '-d', 'momentum_grid', '-o', 'json']);
          const start = out.stdout.indexOf('[{');
          return start >= 0
            ? (JSON.parse(out.stdout.slice(start))[0]?.run_id as string | undefined)
            : undefined;
        });
        const runs = expandRuns(spec);
        const states = Object.fromEntries(
          runs.map((r) => [String(r.index), r.index === FAILED_RUN ? 'failed' : 'success']),
        );
        // The jobs first, then the scheduler: a Batch task succeeds only after its job wrote
        // metrics.json and exited, and the controller polls meanwhile (it reads a run once).
        // Each job its own process with its own environment (test/results/jobs.ts).
        await runJobs(
          'airflow2',
          runs
            .filter((r) => r.index !== FAILED_RUN)
            .map((r) => {
              const s = sample(r.index);
              return {
                code: `from backtest_gitops_support.metrics import write_metrics\nwrite_metrics({"sharpe": ${s.sharpe}, "total_return": ${r.index / 100}, "trades": ${40 + r.index}}, n_observations=${s.n}, skew=${s.skew}, kurtosis=${s.kurtosis})`,
                env: batchJobEnv(moto.endpoint, {
                  ...Object.fromEntries(runEnvironment(r, spec).map((e) => [e.name, e.value])),
                  RESULTS_S3_URI: resultsS3Uri(RESULTS_BUCKET, 'momentum_grid', runId, r.strategy, r.index),
                }),
              };
            }),
        );
        await playRunStates(mwaa, 'momentum_grid', runId, { runs: 9, backtest: states, runState: 'failed' });
        const results = await eventually(
          'the results comment with every run done',
          () =>
            github.state
              .commentsOn(pr)
              .find(
                (c) => c.body.includes('<!-- backtest-gitops:results -->') && c.body.includes('9/9 done'),
              ),
          300_000,
        );
        const body = results.body;
        story.comment('the results comment on the merged PR', body);
        const succeeded = runs.filter((r) => r.index !== FAILED_RUN);
        const ranked = [...succeeded].sort(
          (a, b) => sample(b.index).sharpe - sample(a.index).sharpe || a.index - b.index,
        );
        const best = ranked[0] as (typeof runs)[number];
        const dsr = independentDsr(
          succeeded.map((r) => sample(r.index)),
          9,
        );
        expect(body).toContain(
          `**momentum_grid**: 9/9 done, 1 failed — best sharpe ${shown(sample(best.index).sharpe)} (take_profit_pct=${best.params.take_profit_pct}, stop_loss_pct=${best.params.stop_loss_pct}); DSR ${dsr.toFixed(2)} over 9 combinations`,
        );
        expect(body).toContain(`| DSR | ${dsr.toFixed(4)} |`);
        expect([...body.matchAll(/^\| \d+ \| (run-\d+) \|/gm)].map((m) => m[1])).toEqual(
          ranked.map((r) => `run-${String(r.index).padStart(5, '0')}`),
        );
        // The heatmap: one row per take_profit_pct, one column per stop_loss_pct, the failed cell empty.
        for (const r of succeeded) expect(body).toContain(` ${shown(sample(r.index).sharpe)}`);
        expect(body).toMatch(/^\| \*\*15\*\* \| \S+ [\d.]+( ★)? \| — \| \S+ [\d.]+( ★)? \|$/m);
        expect(body).toContain('- run-00007 (take_profit_pct=15, stop_loss_pct=5): failed — [log](https://');
        // Every run can be done while the DAG run itself is still finishing (its last tasks):
        // the status then says "9/9 done, 1 failed" and stays pending until the DAG run ends.
        const done = await eventually('the results status on the merge commit', () => {
          const st = statusOf(mergeSha, 'backtest-gitops/results');
          return st?.description === '9/9 done, 1 failed' && st.state !== 'pending' ? st : undefined;
        });
        expect(done.state).toBe('failure');
        const mentions = await eventually('the author told once', () => {
          const m = github.state.commentsOn(pr).filter((c) => c.body.includes('@researcher'));
          return m.length ? m : undefined;
        });
        expect(mentions).toHaveLength(1);
        expect(
          github.state.commentsOn(pr).filter((c) => c.body.includes('<!-- backtest-gitops:results -->')),
        ).toHaveLength(1);
        story.note(`commit status backtest-gitops/results: ${done.state} (${done.description})`);
      },
    );

    await step(
      '4. a PR deleting the config shows the deletion; merging removes the owned DAG and touches nothing else',
      async () => {
        story.step(
          'Another PR retires the config',
          'Deletions are planned and shown like everything else; after the merge only the DAG the controller owns is removed. Files it did not write (a hand-made DAG, another team’s folder) are left byte for byte.',
        );
        const del = flow.openPr('retire-momentum', { [GRID_FILE]: null });
        const status = await eventually('validate status on the deletion PR', () =>
          statusOf(del.sha, 'backtest-gitops/validate'),
        );
        expect(status.state).toBe('success');
        const comment = await eventually(
          'the sticky comment on the deletion PR',
          () => stickyComments(del.number)[0],
        );
        const body = comment.body;
        story.comment('the bot comment on the deletion PR', body);
        expect(body).toMatch(/`momentum_grid` \| delete/);
        const merged = flow.mergePr(del.number);
        await eventually(
          'deploy status on the deletion merge',
          () => statusOf(merged, 'backtest-gitops/deploy'),
          300_000,
        );
        await eventually(
          'the DAG removed from S3',
          async () => !(await s3Keys()).includes('dags/momentum_grid.py'),
        );
        expect(await s3Keys()).toContain('dags/value_single.py');
        for (const [Key, etag] of unownedEtags) {
          const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key }));
          expect(head.ETag).toBe(etag);
        }
        story.files('after the merge the bucket holds', await bucketSummary());
        story.finish();
      },
    );

    await step('never logs a secret', async () => {
      expect(serve.output()).not.toContain(github.token);
    });
  }, 1_500_000);
});
