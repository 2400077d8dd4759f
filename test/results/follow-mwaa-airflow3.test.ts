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
import { BUCKET, QUEUE, startMotoBatch } from '../airflow/e2e/dags-test.js';
import { MOTO_ENV, type MotoServer, motoS3Client } from '../support/moto.js';
import { type MwaaFake, startMwaaFake } from '../support/mwaa-fake/index.js';
import { projectRoot } from '../support/python.js';
import { RecordingResultsGitHub } from '../support/recording-results-github.js';
import { runBacktestctl } from '../support/run-cli.js';
import { independentDsr, type SharpeSample } from './independent-dsr.js';
import { runJobs } from './jobs.js';

/**
 * The results follower on an MWAA environment running Airflow 3: the DAG run is a real one
 * (`airflow dags test` of the rendered DAG in the fake's own metadata DB, AWS Batch on moto),
 * and the follower reads it through the fake's CLI endpoint with Airflow 3's command forms
 * (`dags list-runs DAG_ID`). The two strategies write to two buckets; the `broken` one names
 * a job definition Batch does not have, so its run fails at submit and the DAG's failure
 * callback leaves run-status.json in that strategy's bucket. One Airflow run serves every
 * assertion.
 */
const DAG = 'pair_af3';
const BROKEN_BUCKET = 'broken-results';
const CONFIG = `dag_id: ${DAG}
start_date: 2022-01-01
end_date: 2022-12-31
retries: 0
batch_job_queue: ${QUEUE}
strategies:
  - name: value
    strategy_class: ValueStrategy
    s3_bucket: ${BUCKET}
    batch_job_definition: backtest-job
    param_grid:
      take_profit_pct: [5, 10]
  - name: broken
    strategy_class: BrokenStrategy
    s3_bucket: ${BROKEN_BUCKET}
    batch_job_definition: no-such-job-definition
`;
const files = new Map([['backtests/pair_af3.yaml', CONFIG]]);
const spec = loadConfigRepo(files).specs[0] as BacktestSpec;
const samples: Record<number, SharpeSample> = {
  0: { sharpe: 0.8, n: 252, skew: -0.3, kurtosis: 4 },
  1: { sharpe: 1.6, n: 252, skew: -0.5, kurtosis: 5 },
};

let moto: MotoServer;
let s3: S3Client;
let fake: MwaaFake;
/** The DAG run the first test made (the second reads it again). */
let runId = '';

beforeAll(async () => {
  moto = await startMotoBatch();
  s3 = motoS3Client(moto.endpoint);
  for (const bucket of ['dags', BROKEN_BUCKET]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const file of renderRepo([spec], { airflowMajor: 3 })) {
    await s3.send(new PutObjectCommand({ Bucket: 'dags', Key: `dags/${file.key}`, Body: file.content }));
  }
  fake = await startMwaaFake({
    s3Endpoint: moto.endpoint,
    bucket: 'dags',
    prefix: 'dags',
    name: 'research-af3',
    venv: 'airflow3',
  });
});

afterAll(async () => {
  await fake?.stop();
  await moto?.stop();
});

async function text(bucket: string, key: string): Promise<string> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await res.Body?.transformToString()) ?? '';
}

describe('following a sweep on MWAA with Airflow 3', () => {
  it('reads the run through the Airflow 3 CLI forms, each strategy from its own bucket, and links the failed run', async () => {
    expect(spec.strategies.map((s) => [s.name, s.runs, s.infra.results_bucket])).toEqual([
      ['value', 2, BUCKET],
      ['broken', 1, BROKEN_BUCKET],
    ]);
    const env = parseEnv({
      ...MOTO_ENV,
      BACKTEST_GITOPS_MWAA_ENDPOINT: fake.endpoint,
      AWS_ENDPOINT_URL_S3: moto.endpoint,
    });
    const connection = connectMwaa(fake.name, env);
    // Syncs the DAG folder from S3 and lets the fake's parsing pass serialize the DAG.
    expect((await connection.airflow.listDags()).map((d) => d.dag_id)).toContain(DAG);

    const github = new RecordingResultsGitHub({ number: 4, headRef: 'pair', author: 'bob' });
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
    });
    const ctx = { signal: new AbortController().signal, log: createLogger({ level: 'silent' }) };
    const commit = 'a'.repeat(40);
    await results.track(
      {
        commit,
        target: 's3://dags/dags',
        environment: fake.name,
        airflow_version: '3.0.6',
        dags: [
          {
            dag_id: DAG,
            source: 'backtests/pair_af3.yaml',
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

    // The DAG run, for real, in the environment's metadata DB: Airflow 3 runs every task.
    // No logical date: the run is then "after" the deploy, as a triggered run would be.
    // Run by the environment's own Airflow (the fake's warm CLI: no second Airflow start),
    // with the AWS connection to moto's Batch. It exits non-zero because a task failed; the
    // states tell the rest.
    await fake.runAirflow(['dags', 'test', DAG], {
      ...MOTO_ENV,
      AIRFLOW_CONN_AWS_DEFAULT: JSON.stringify({
        conn_type: 'aws',
        extra: { endpoint_url: moto.endpoint, region_name: MOTO_ENV.AWS_REGION },
      }),
    });

    // The jobs' part: each value run writes its metrics with the real helper.
    const listed = await connection.cli.run(['dags', 'list-runs', DAG, '-o', 'json']);
    runId = JSON.parse(listed.stdout.slice(listed.stdout.indexOf('[')))[0].run_id as string;
    await runJobs(
      'airflow3',
      expandRuns(spec)
        .filter((x) => x.strategy === 'value')
        .map((r) => {
          const s = samples[r.index] as SharpeSample;
          const jobEnv = Object.fromEntries(runEnvironment(r, spec).map((e) => [e.name, e.value]));
          return {
            code: `from backtest_gitops_support.metrics import write_metrics\nwrite_metrics({"sharpe": ${s.sharpe}}, n_observations=${s.n}, skew=${s.skew}, kurtosis=${s.kurtosis})`,
            env: {
              PATH: process.env.PATH ?? '',
              PYTHONPATH: join(projectRoot, 'src/render/templates'),
              PYTHONDONTWRITEBYTECODE: '1',
              ...MOTO_ENV,
              AWS_ENDPOINT_URL: moto.endpoint,
              ...jobEnv,
              RESULTS_S3_URI: resultsS3Uri(BUCKET, DAG, runId, r.strategy, r.index),
            },
          };
        }),
    );

    const callsBefore = fake.stats.cliCalls.length;
    await results.poll(ctx);
    const calls = fake.stats.cliCalls.slice(callsBefore);
    // Airflow 3 takes the DAG id as an argument (Airflow 2: -d DAG_ID).
    expect(calls.filter((c) => c.startsWith('dags list-runs'))).toEqual([`dags list-runs ${DAG} -o json`]);
    expect(calls.filter((c) => c.startsWith('tasks states-for-dag-run'))).toHaveLength(1);

    // The broken strategy's run failed in Airflow; its callback wrote to that strategy's bucket.
    const status = JSON.parse(
      await text(BROKEN_BUCKET, `backtests/${DAG}/${runId}/broken/run-00002/run-status.json`),
    );
    expect(status).toMatchObject({
      state: 'failed',
      try_number: 1,
      dag_run_id: runId,
      task_id: 'broken.backtest',
      map_index: 0,
    });
    expect(status.log_url).toContain(`/tasks/broken.backtest/mapped/0`);

    const body = [...github.comments.values()].find((c) => c.includes(RESULTS_MARKER)) ?? '';
    const dsr = independentDsr([samples[0], samples[1]] as SharpeSample[], 3);
    expect(body).toContain(
      `**${DAG}**: 3/3 done, 1 failed — best sharpe 1.6 (strategy_class=ValueStrategy, take_profit_pct=10); DSR ${dsr.toFixed(2)} over 3 combinations`,
    );
    expect(body).toContain(`| DSR | ${dsr.toFixed(4)} |`);
    expect([...body.matchAll(/^\| (\d+) \| (\S+) \|/gm)].map((m) => m[2])).toEqual([
      'value/run-00001',
      'value/run-00000',
    ]);
    // The Airflow 3 UI's task page of the mapped instance, on the environment's web server.
    expect(body).toMatch(
      new RegExp(
        `- broken/run-00002 \\(strategy_class=BrokenStrategy\\): failed — \\[log\\]\\(https://127\\.0\\.0\\.1:\\d+/dags/${DAG}/runs/${encodeURIComponent(runId).replace(/[.+]/g, '\\$&')}/tasks/broken\\.backtest/mapped/0\\)`,
      ),
    );
    expect(github.statuses.at(-1)).toBe('backtest-gitops/results failure 3/3 done, 1 failed');
    expect([...github.comments.values()].filter((c) => c.includes('@bob'))).toHaveLength(1);
    // The full table next to the first strategy's results.
    const csv = await text(BUCKET, `backtests/${DAG}/${runId}/results.csv`);
    expect(csv.trimEnd().split('\r\n')).toHaveLength(4);
  });

  it('backtestctl results DAG_ID reads the same run from both buckets, the failed run linked', async () => {
    expect(runId).not.toBe('');
    const repo = mkdtempSync(join(tmpdir(), 'results-af3-repo-'));
    try {
      mkdirSync(join(repo, 'backtests'));
      writeFileSync(join(repo, 'backtests/pair_af3.yaml'), CONFIG);
      const res = await runBacktestctl(
        ['results', DAG, '--environment', fake.name, '--repo', repo, '--format', 'json'],
        {
          env: {
            ...process.env,
            ...MOTO_ENV,
            BACKTEST_GITOPS_MWAA_ENDPOINT: fake.endpoint,
            AWS_ENDPOINT_URL_S3: moto.endpoint,
          },
        },
      );
      expect(res.stderr).toBe('');
      expect(res.code).toBe(1); // the broken run failed
      const [summary] = JSON.parse(res.stdout);
      expect(summary.dagRunId).toBe(runId);
      expect(summary.ranked.map((r: { name: string }) => r.name)).toEqual([
        'value/run-00001',
        'value/run-00000',
      ]);
      expect(summary.unranked).toEqual([
        expect.objectContaining({
          name: 'broken/run-00002',
          reason: 'failed',
          run: expect.objectContaining({
            link: expect.stringMatching(
              new RegExp(
                `^https://127\\.0\\.0\\.1:\\d+/dags/${DAG}/runs/.+/tasks/broken\\.backtest/mapped/0$`,
              ),
            ),
          }),
        }),
      ]);
      expect(summary.overfitting.dsr).toBeCloseTo(
        independentDsr([samples[0], samples[1]] as SharpeSample[], 3),
        4,
      );
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
