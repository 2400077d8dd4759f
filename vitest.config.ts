import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure code, beside the sources, fast) and `integration`
// (real parts: git, moto S3, Airflow, the local GitHub and MWAA servers, under test/).
export default defineConfig({
  test: {
    // Most of an integration test's time is spent waiting on other processes (Airflow, moto,
    // git, the controller under test), so files run three at a time even on two cores, where
    // vitest's default would be one. Files never share state: every file starts its own
    // servers on free ports and works in its own temp folders.
    maxWorkers: 3,
    minWorkers: 1,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          environment: 'node',
          // Unit files share the two cores with integration files (Airflow, moto) in one run,
          // so a property test that takes 1 s alone can take several: the limit catches hangs,
          // not slowness.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 600_000,
          globalSetup: ['test/support/global-setup.ts'],
          pool: 'forks',
        },
      },
    ],
  },
});
