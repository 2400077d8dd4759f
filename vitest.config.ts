import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/support/sequencer.js';

// Two projects: `unit` (pure code, beside the sources, fast) and `integration`
// (real parts: git, moto S3, Airflow, the local GitHub and MWAA servers, under test/).
export default defineConfig({
  // Vitest keeps each file's last duration here (with the other caches in .cache/), which the
  // sequencer uses to start the longest files first.
  cacheDir: '.cache/vite',
  test: {
    sequence: { sequencer: LongestFirstSequencer },
    // Most of an integration test's time is spent waiting on other processes (Airflow, moto,
    // git, the controller under test, Batch polls), so files run four at a time even on two
    // cores, where vitest's default would be one. Files never share state: each works in its
    // own temp folders, on its own ports, with its own buckets; the one moto_server per worker
    // slot (test/support/moto-broker.ts) is reset for each file.
    maxWorkers: 4,
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
