import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { BacktestSpec } from '../../src/config/types.js';
import type { DesiredFile } from '../../src/plan/types.js';

/** A valid single-strategy spec, as the config loader would produce it for `backtests/<dag_id>.yaml`. */
export function backtestSpec(dagId: string, overrides: Partial<BacktestSpec> = {}): BacktestSpec {
  const source = `backtests/${dagId}.yaml`;
  return {
    source,
    source_sha256: createHash('sha256').update(source).digest('hex'),
    dag_id: dagId,
    description: `backtest ${dagId}`,
    tags: ['backtest'],
    schedule: null,
    owner: 'research',
    retries: 1,
    batch_attempts: 2,
    callbacks: { before: null, after: null },
    strategies: [
      {
        name: dagId,
        strategy_class: 'LongShortEquityStrategy',
        start_date: '2022-01-01',
        end_date: '2022-12-31',
        parameters: {
          initial_capital: 1_000_000,
          factors: ['DebtToEquity'],
          take_profit_pct: 10,
          stop_loss_pct: 5,
        },
        param_grid: {},
        infra: { job_queue: null, job_definition: null, results_bucket: null, db_conn_id: null },
        runs: 1,
      },
    ],
    multi_strategy: false,
    runs: 1,
    ...overrides,
  };
}

export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** Uploads files straight to S3 (the import check does not care who wrote them). */
export async function upload(
  s3: S3Client,
  bucket: string,
  prefix: string,
  files: Pick<DesiredFile, 'key' | 'content'>[],
) {
  for (const f of files) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${f.key}`, Body: f.content }));
  }
}

export async function remove(s3: S3Client, bucket: string, prefix: string, keys: string[]) {
  for (const key of keys) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${prefix}/${key}` }));
}
