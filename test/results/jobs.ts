import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { MOTO_ENV } from '../support/moto.js';
import type { MwaaFake } from '../support/mwaa-fake/index.js';
import { projectRoot, type VenvName, venvBin } from '../support/python.js';

/**
 * The environment a played Batch job runs with: what the job image has (the support package
 * on the Python path, boto3 pointed at moto) plus the job's own variables (`vars`).
 */
export function batchJobEnv(s3Endpoint: string, vars: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    PYTHONPATH: join(projectRoot, 'src/render/templates'),
    PYTHONDONTWRITEBYTECODE: '1', // no __pycache__ in the source tree
    ...MOTO_ENV,
    AWS_ENDPOINT_URL: s3Endpoint,
    ...vars,
  };
}

/** One Batch job a test plays: Python code run as __main__ with exactly this environment. */
export interface PlayedJob {
  env: Record<string, string>;
  code: string;
}

/**
 * Runs the jobs one after the other, each in its own process with its own environment, forked
 * by test/results/run_jobs.py once it has imported boto3 and the metrics helper (what every
 * job imports), instead of a cold Python per job. Rejects, with the jobs' stderr, when one fails.
 */
export function runJobs(venv: VenvName, jobs: readonly PlayedJob[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(venvBin(venv, 'python'), [join(projectRoot, 'test/results/run_jobs.py')], {
      env: {
        PATH: process.env.PATH ?? '',
        PYTHONPATH: join(projectRoot, 'src/render/templates'),
        PYTHONDONTWRITEBYTECODE: '1', // no __pycache__ in the source tree
      },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`a played job failed (${code}):\n${stderr.slice(-4000)}`)),
    );
    child.stdin.end(JSON.stringify({ preload: ['boto3', 'backtest_gitops_support.metrics'], jobs }));
  });
}

/**
 * The scheduler and executor's part of a played sweep: the DAG run `runId` of `dagId` ends in
 * `runState`, its before and after tasks succeed and each Batch task instance (map index → state
 * in `backtest`) ends as given; written by test/results/set_run_states.py in the environment's
 * own interpreter (the fake's warm Airflow), on its metadata DB.
 */
export async function playRunStates(
  fake: Pick<MwaaFake, 'runPython'>,
  dagId: string,
  runId: string,
  opts: { runs: number; backtest: Record<string, string>; runState: string },
): Promise<void> {
  const played = await fake.runPython(join(projectRoot, 'test/results/set_run_states.py'), [
    dagId,
    runId,
    JSON.stringify({
      __rows__: { runs: opts.runs },
      before: { '-1': 'success' },
      backtest: opts.backtest,
      after: { '-1': 'success' },
    }),
    opts.runState,
  ]);
  expect(played, played.stderr).toMatchObject({ code: 0, stdout: 'ok\n' });
}
