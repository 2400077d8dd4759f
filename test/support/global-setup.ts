import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { buildTestCli, TEST_BUILD_KEY } from './cli-build.js';
import { MOTO_BROKER_ENV } from './moto.js';
import { startMotoBroker } from './moto-broker.js';
import { projectRoot } from './python.js';

/**
 * Runs once before the integration tests: makes sure the pinned Python virtualenvs
 * (Airflow 2 and 3, moto, awscli) exist (a no-op when the cache is current), and starts the
 * moto broker: one moto_server per worker slot, shared by the files of that slot
 * (`startMoto()` in test/support/moto.ts). Workers inherit its address through the
 * environment; the returned teardown stops every server. It also compiles the CLI the tests
 * spawn when the sources changed since the last build (test/support/cli-build.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  project.provide(TEST_BUILD_KEY, buildTestCli(projectRoot));
  execFileSync('bash', [`${projectRoot}scripts/setup-python.sh`], { stdio: 'inherit' });
  const broker = await startMotoBroker();
  process.env[MOTO_BROKER_ENV] = broker.url;
  return async () => {
    delete process.env[MOTO_BROKER_ENV];
    await broker.stop();
  };
}
