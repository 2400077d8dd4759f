import { execFileSync } from 'node:child_process';
import { projectRoot } from './python.js';

/**
 * Runs once before the integration tests: makes sure the pinned Python virtualenvs
 * (Airflow 2 and 3, moto, awscli) exist. A no-op when the cache is current.
 */
export default function setup(): void {
  execFileSync('bash', [`${projectRoot}scripts/setup-python.sh`], { stdio: 'inherit' });
}
