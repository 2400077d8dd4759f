import { availableParallelism } from 'node:os';
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
    // Much of an integration test's time is spent waiting on other processes (Airflow, moto,
    // git, the controller under test, Batch polls, GitHub retry backoff), so files run six at a
    // time even on two cores, where vitest's default would be one: with four, the longest files
    // (which mostly wait) started together and left a core idle for half a minute; with six the
    // cores stay busy (clean clone, 2 cores: 4 min 19 s). Files never share state: each works in
    // its own temp folders, on its own ports, with its own buckets; the one moto_server per
    // worker slot (test/support/moto-broker.ts) is reset for each file.
    maxWorkers: 6,
    minWorkers: 1,
    // The unit project runs in the threads pool (below), with no per-file isolation: its files
    // run one after another in two long-lived worker threads sharing the loaded modules,
    // instead of one fresh process per file that loads vitest and the sources again: ~17
    // instead of ~45-52 CPU-s for the 71 files (a file's own tests take ~13 of them). The unit
    // tests need no isolation: none mocks modules, stubs globals or the environment, fakes
    // timers or changes the working directory, and the sources keep no mutable module state
    // (the template cache only holds packaged files). Vitest reads the pool's isolation, thread
    // count and reuse from these root options, not a project's, so they are set here; only the
    // unit project uses threads (integration stays in isolated forks). minThreads equals
    // maxThreads: with fewer, tinypool retires an idle non-isolated thread with a zero delay and
    // can hand it a file meanwhile, which fails the run with "Terminating worker thread". Two
    // threads, not four: each loads the sources once more (~2 CPU-s) for little time on two cores.
    poolOptions: {
      threads: {
        isolate: false,
        maxThreads: Math.min(2, availableParallelism()),
        minThreads: Math.min(2, availableParallelism()),
      },
    },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          environment: 'node',
          // Worker threads without isolation: see poolOptions above.
          pool: 'threads',
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
