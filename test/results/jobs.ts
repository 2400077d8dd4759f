import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot, type VenvName, venvBin } from '../support/python.js';

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
