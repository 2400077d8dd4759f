import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandRuns, loadConfigRepo } from '../../src/config/index.js';
import type { BacktestSpec } from '../../src/config/types.js';
import { composeResults } from '../../src/controller/compose-results.js';
import { connectMwaa } from '../../src/mwaa/mwaa-connection.js';
import { renderRepo, resultsS3Uri, runEnvironment } from '../../src/render/index.js';
import { RESULTS_MARKER } from '../../src/results/render-markdown.js';
import { parseEnv } from '../../src/shared/env.js';
import { createLogger } from '../../src/shared/logger.js';
import { openTarget } from '../../src/targets/open-target.js';
import { MOTO_ENV, type MotoServer, motoS3Client, startMoto } from '../support/moto.js';
import { type MwaaFake, startMwaaFake } from '../support/mwaa-fake/index.js';
import { projectRoot } from '../support/python.js';
import { RecordingResultsGitHub } from '../support/recording-results-github.js';
import { runBacktestctl } from '../support/run-cli.js';
import { independentDsr, type SharpeSample } from './independent-dsr.js';
import { batchJobEnv, playRunStates, runJobs } from './jobs.js';

/**
 * The results follower on the real parts: Airflow 2.11's CLI behind the MWAA fake's CLI
 * endpoint (run and task states read from a real metadata DB, where the test plays the
 * scheduler and executor for one sweep), the real write_metrics helper writing each run's
 * metrics.json to moto S3, the state object next to the manifest in the moto DAG bucket.
 */
const CONFIG = `strategy_class: LongShortEquityStrategy
start_date: 2022-01-01
end_date: 2022-12-31
s3_bucket: results
param_grid:
  take_profit_pct: [5.0, 10.0, 15.0]
  stop_loss_pct: [3.0, 5.0, 8.0]
`;
const files = new Map([['backtests/grid.yaml', CONFIG]]);
const spec = loadConfigRepo(files).specs[0] as BacktestSpec;
const FAILED = 7;
/** Four significant digits, as the comment shows numbers. */
const shown = (v: number) => String(Number(v.toPrecision(4)));
const sample = (i: number): SharpeSample => ({
  sharpe: Number((0.3 + ((i * 37) % 11) / 7).toFixed(4)),
  n: 252,
  skew: -0.2 - i / 50,
  kurtosis: 3.5 + i / 10,
});

let moto: MotoServer;
let s3: S3Client;
let fake: MwaaFake;

beforeAll(async () => {
  moto = await startMoto();
  s3 = motoS3Client(moto.endpoint);
  for (const bucket of ['dags', 'results']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const file of renderRepo([spec])) {
    await s3.send(new PutObjectCommand({ Bucket: 'dags', Key: `dags/${file.key}`, Body: file.content }));
  }
  fake = await startMwaaFake({ s3Endpoint: moto.endpoint, bucket: 'dags', prefix: 'dags' });
});
afterAll(async () => {
  await fake?.stop();
  await moto?.stop();
});

describe('following a merged sweep through the MWAA CLI endpoint', () => {
  it('ends with one results comment whose ranking, heatmap and DSR match values computed here', async () => {
    const env = parseEnv({
      ...MOTO_ENV,
      BACKTEST_GITOPS_MWAA_ENDPOINT: fake.endpoint,
      AWS_ENDPOINT_URL_S3: moto.endpoint,
    });
    const connection = connectMwaa(fake.name, env);
    // The first `dags` command lets the fake's scheduler pass parse the folder (its log lines
    // may share that command's output); the DAG is then listed.
    await connection.cli.run(['dags', 'list', '-o', 'json']);
    expect((await connection.airflow.listDags()).map((d) => d.dag_id)).toContain('grid');
    await connection.airflow.trigger('grid');
    const started = Date.now();
    const listed = await connection.cli.run(['dags', 'list-runs', '-d', 'grid', '-o', 'json']);
    const runId = JSON.parse(listed.stdout.slice(listed.stdout.indexOf('[')))[0].run_id as string;

    // The scheduler and executor's part: every Batch task instance ends, run 7 failed.
    const states = Object.fromEntries(
      expandRuns(spec).map((r) => [String(r.index), r.index === FAILED ? 'failed' : 'success']),
    );
    await playRunStates(fake, 'grid', runId, { runs: 9, backtest: states, runState: 'failed' });
    // The jobs' part: each run that succeeded writes its metrics with the real helper, each job
    // its own process with its own environment.
    await runJobs(
      'airflow2',
      expandRuns(spec)
        .filter((r) => r.index !== FAILED)
        .map((r) => {
          const s = sample(r.index);
          const jobEnv = Object.fromEntries(runEnvironment(r, spec).map((e) => [e.name, e.value]));
          return {
            code: `from backtest_gitops_support.metrics import write_metrics\nwrite_metrics({"sharpe": ${s.sharpe}, "total_return": ${r.index / 100}}, n_observations=${s.n}, skew=${s.skew}, kurtosis=${s.kurtosis})`,
            env: batchJobEnv(moto.endpoint, {
              ...jobEnv,
              RESULTS_S3_URI: resultsS3Uri('results', 'grid', runId, r.strategy, r.index),
            }),
          };
        }),
    );

    const github = new RecordingResultsGitHub({ number: 3, headRef: 'grid', author: 'alice' });
    const results = composeResults({
      config: {
        results: { follow: true, max_requests_per_loop: 20, max_reads_per_loop: 1000, follow_hours: 72 },
        repo: { url: '.', branch: 'main', path: '.' },
      },
      env,
      connection,
      openStore: () => openTarget('s3://dags/dags', { options: env, cwd: projectRoot }),
      readConfigFiles: async () => files,
      github,
      now: () => started,
    });
    const ctx = { signal: new AbortController().signal, log: createLogger({ level: 'silent' }) };
    const commit = 'f'.repeat(40);
    await results.track(
      {
        commit,
        target: 's3://dags/dags',
        environment: null,
        airflow_version: null,
        dags: [
          {
            dag_id: 'grid',
            source: 'backtests/grid.yaml',
            action: 'create',
            imported: true,
            import_error: null,
            unpaused: true,
            triggered: true,
          },
        ],
        kept_invalid: [],
        ok: true,
        summary: '',
      },
      ctx,
    );
    const callsBefore = fake.stats.cliCalls.length;
    await results.poll(ctx);
    const calls = fake.stats.cliCalls.slice(callsBefore);
    expect(
      calls.filter((c) => c.startsWith('dags list-runs') || c.startsWith('tasks states-for-dag-run')),
    ).toHaveLength(2);

    const comments = [...github.comments.values()];
    const body = comments.find((c) => c.includes(RESULTS_MARKER)) ?? '';
    const succeeded = expandRuns(spec).filter((r) => r.index !== FAILED);
    const ranked = [...succeeded].sort(
      (a, b) => sample(b.index).sharpe - sample(a.index).sharpe || a.index - b.index,
    );
    const best = ranked[0];
    const dsr = independentDsr(
      succeeded.map((r) => sample(r.index)),
      9,
    );
    expect(body).toContain(
      `**grid**: 9/9 done, 1 failed — best sharpe ${shown(sample(best?.index ?? 0).sharpe)} (take_profit_pct=${best?.params.take_profit_pct}, stop_loss_pct=${best?.params.stop_loss_pct}); DSR ${dsr.toFixed(2)} over 9 combinations`,
    );
    expect(body).toContain(`| DSR | ${dsr.toFixed(4)} |`);
    const rows = [...body.matchAll(/^\| (\d+) \| (run-\d+) \|/gm)].map((m) => m[2]);
    expect(rows).toEqual(ranked.map((r) => `run-${String(r.index).padStart(5, '0')}`));
    // Heatmap: row take_profit_pct 15 holds runs 6, 7 (failed), 8.
    expect(body).toContain(`| **15** | `);
    expect(body).toMatch(
      new RegExp(
        `\\| \\*\\*15\\*\\* \\| \\S+ ${shown(sample(6).sharpe)}( ★)? \\| — \\| \\S+ ${shown(sample(8).sharpe)}( ★)? \\|`,
      ),
    );
    expect(body).toContain(
      '- run-00007 (take_profit_pct=15, stop_loss_pct=5): failed — [log](https://127.0.0.1:',
    );
    expect(body).toContain(`task_id=backtest&dag_run_id=${encodeURIComponent(runId)}&map_index=7)`);
    expect(comments.filter((c) => c.includes('@alice'))).toHaveLength(1);
    expect(github.statuses.at(-1)).toBe('backtest-gitops/results failure 9/9 done, 1 failed');

    // State next to the manifest; the full table next to the results.
    const state = await s3.send(
      new GetObjectCommand({ Bucket: 'dags', Key: 'dags/.backtest-gitops/results-state.json' }),
    );
    expect(JSON.parse((await state.Body?.transformToString()) ?? '').follows[0]).toMatchObject({
      dag_id: 'grid',
      run_id: runId,
      done: true,
    });
    const csv = await s3.send(
      new GetObjectCommand({ Bucket: 'results', Key: `backtests/grid/${runId}/results.csv` }),
    );
    expect(((await csv.Body?.transformToString()) ?? '').trimEnd().split('\r\n')).toHaveLength(10);
  });

  it('backtestctl results DAG_ID prints the same ranking from MWAA and the results bucket', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'results-repo-'));
    try {
      mkdirSync(join(repo, 'backtests'));
      writeFileSync(join(repo, 'backtests/grid.yaml'), CONFIG);
      const env = {
        ...process.env,
        ...MOTO_ENV,
        BACKTEST_GITOPS_MWAA_ENDPOINT: fake.endpoint,
        AWS_ENDPOINT_URL_S3: moto.endpoint,
      };
      const res = await runBacktestctl(
        ['results', 'grid', '--environment', fake.name, '--repo', repo, '--format', 'json'],
        { env },
      );
      expect(res.stderr).toBe('');
      expect(res.code).toBe(1); // run 7 failed
      const [summary] = JSON.parse(res.stdout);
      const succeeded = expandRuns(spec).filter((r) => r.index !== FAILED);
      const ranked = [...succeeded].sort(
        (a, b) => sample(b.index).sharpe - sample(a.index).sharpe || a.index - b.index,
      );
      expect(summary.ranked.map((r: { run: { index: number } }) => r.run.index)).toEqual(
        ranked.map((r) => r.index),
      );
      expect(summary.unranked).toEqual([expect.objectContaining({ name: 'run-00007', reason: 'failed' })]);
      expect(summary.overfitting.dsr).toBeCloseTo(
        independentDsr(
          succeeded.map((r) => sample(r.index)),
          9,
        ),
        4,
      );
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
