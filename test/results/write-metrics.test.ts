import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsJsonSchema, parseMetricsFile } from '../../src/results/metrics-file.js';
import { discoverResults } from '../../src/results/read-results.js';
import { S3ResultsStore } from '../../src/results/s3-results-store.js';
import { DEFAULT_REPORT } from '../../src/results/types.js';
import { type MotoServer, motoS3Client, startMoto } from '../support/moto.js';
import { venvBin } from '../support/python.js';
import { batchJobEnv } from './jobs.js';

const run = promisify(execFile);
const BUCKET = 'results';
const URI = `s3://${BUCKET}/backtests/grid/manual__2026-01-05T09:00:00+00:00/grid/run-00003/`;

let moto: MotoServer;
let s3: S3Client;

/** Runs Python in the Airflow venv (what a Batch job image would have: boto3) with the support package on its path. */
async function python(code: string, env: Record<string, string> = {}) {
  return run(venvBin('airflow2', 'python'), ['-c', code], {
    env: batchJobEnv(moto.endpoint, {
      RESULTS_S3_URI: URI,
      BACKTEST_DAG_ID: 'grid',
      BACKTEST_STRATEGY: 'grid',
      BACKTEST_RUN_INDEX: '3',
      BACKTEST_PARAMS: '{"take_profit_pct":10,"stop_loss_pct":3}',
      BACKTEST_COMMIT: 'a'.repeat(40),
      AWS_BATCH_JOB_ID: 'job-123',
      ...env,
    }),
  });
}

async function getText(key: string): Promise<string | null> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return (await res.Body?.transformToString('utf8')) ?? null;
  } catch {
    return null;
  }
}

beforeAll(async () => {
  moto = await startMoto();
  s3 = motoS3Client(moto.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  await moto?.stop();
});

describe('write_metrics (Python, in a job) → metrics.json in S3 → backtest-gitops', () => {
  it('writes a file that the zod schema and the generated JSON Schema both accept, with the run context', async () => {
    const { stdout } = await python(`
from backtest_gitops_support.metrics import write_metrics
print(write_metrics({"sharpe": 1.25, "total_return": 0.18, "max_drawdown": -0.07, "trades": 130},
                    n_observations=252, skew=-0.4, kurtosis=4.2))
`);
    const key = 'backtests/grid/manual__2026-01-05T09:00:00+00:00/grid/run-00003/metrics.json';
    expect(stdout.trim()).toBe(`s3://${BUCKET}/${key}`);
    const text = await getText(key);
    const parsed = parseMetricsFile(text ?? '');
    expect(parsed).toMatchObject({ ok: true });
    if (!parsed.ok) return;
    expect(parsed.file).toEqual({
      schema_version: 1,
      metrics: { sharpe: 1.25, total_return: 0.18, max_drawdown: -0.07, trades: 130 },
      n_observations: 252,
      skew: -0.4,
      kurtosis: 4.2,
      run: {
        dag_id: 'grid',
        dag_run_id: 'manual__2026-01-05T09:00:00+00:00',
        strategy: 'grid',
        run_index: 3,
        commit: 'a'.repeat(40),
        batch_job_id: 'job-123',
        params: { take_profit_pct: 10, stop_loss_pct: 3 },
      },
    });
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(metricsJsonSchema());
    expect(validate(JSON.parse(text ?? '')), ajv.errorsText(validate.errors)).toBe(true);
    expect(validate({ metrics: { sharpe: 'high' } })).toBe(false);

    // The same object, read back by the results reader over the real SDK.
    const [input] = await discoverResults(new S3ResultsStore(s3, BUCKET), DEFAULT_REPORT);
    expect(input?.dagId).toBe('grid');
    expect(input?.runs[0]?.params).toEqual({ take_profit_pct: 10, stop_loss_pct: 3 });
  });

  it('refuses a NaN or a misspelt statistic in the job, naming the field, and writes nothing', async () => {
    const uri = `s3://${BUCKET}/backtests/grid/manual__x/grid/run-00004/`;
    const err = await python(
      `
from backtest_gitops_support.metrics import write_metrics
write_metrics({"sharpe": float("nan")})
`,
      { RESULTS_S3_URI: uri },
    ).catch((e: { stderr: string }) => e);
    expect((err as { stderr: string }).stderr).toContain(
      'MetricsError: metrics.sharpe: must be a finite number',
    );
    const typo = await python(
      `
from backtest_gitops_support.metrics import write_metrics
write_metrics({"sharpe": 1.0}, kurtosis=0.2)
`,
      { RESULTS_S3_URI: uri },
    ).catch((e: { stderr: string }) => e);
    expect((typo as { stderr: string }).stderr).toContain('kurtosis: is Pearson kurtosis');
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'backtests/grid/manual__x/' }),
    );
    expect(listed.KeyCount ?? 0).toBe(0);
  });

  it('computes nothing itself from a returns series: it stores it for the report', async () => {
    const uri = `s3://${BUCKET}/backtests/grid/manual__y/grid/run-00000/`;
    await python(
      `
from backtest_gitops_support.metrics import write_metrics
write_metrics({"sharpe": 0.9}, returns=[0.01, -0.02, 0.015, 0.0, 0.004], periods_per_year=252)
`,
      { RESULTS_S3_URI: uri },
    );
    const parsed = parseMetricsFile(
      (await getText('backtests/grid/manual__y/grid/run-00000/metrics.json')) ?? '',
    );
    expect(parsed.ok && parsed.file.returns).toEqual([0.01, -0.02, 0.015, 0.0, 0.004]);
  });
});
