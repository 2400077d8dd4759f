import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Longest files first, so the run ends with short files filling the workers instead of one
 * long file running alone: by each file's duration in the last run (vitest's cache, kept in
 * .cache/vite with the other caches), and for a file the cache does not know (a fresh clone),
 * by the estimate below; files known to neither go after the estimated ones, largest first.
 */
const ESTIMATED_SECONDS: Record<string, number> = {
  // Seconds in a full run (2 cores, 4 workers, other work on the machine); only the order matters.
  'test/airflow/dags-test-moto.test.ts': 218,
  'test/s3/deploy-truth.test.ts': 213,
  'test/results/follow-mwaa-airflow3.test.ts': 200,
  'test/controller/deploy-truth-serve.test.ts': 146,
  'test/e2e/users-day.test.ts': 143,
  'test/airflow/dags-test-failures.test.ts': 130,
  'test/s3/crash.test.ts': 105,
  'test/docker/image.test.ts': 100,
  'test/airflow/dagbag-corpus.test.ts': 96,
  'test/s3/noop-digest.test.ts': 89,
  'test/airflow/postgres-metadata.test.ts': 87,
  'test/airflow/injection-fuzz.test.ts': 82,
  'test/reliability/reconcile-faults.test.ts': 73,
  'test/s3/cli-s3.test.ts': 67,
  'test/github/pr-scenarios.test.ts': 59,
  'test/s3/s3-sync.test.ts': 56,
  'test/airflow/airflow-cli-warm.test.ts': 55,
  'test/controller/serve-resilience.test.ts': 50,
  'test/airflow/examples-render.test.ts': 46,
  'test/s3/cli-errors.test.ts': 44,
  'test/github/hostile-pr.test.ts': 38,
  'test/controller/serve.test.ts': 38,
  'test/results/follow-mwaa.test.ts': 34,
  'test/controller/two-replicas.test.ts': 33,
  'test/controller/serve-full-stack.test.ts': 32,
  'test/s3/noop-fast-path.test.ts': 30,
  'test/reliability/soak.test.ts': 29,
  'test/mwaa/mwaa-cli.test.ts': 29,
};

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const estimate = (spec: TestSpecification): number => {
      const path = relative(root, spec.moduleId);
      const cached = this.ctx.cache.getFileTestResults(`${spec.project.name}:${path}`);
      if (cached && !cached.failed) return cached.duration / 1000;
      if (cached?.failed) return Number.POSITIVE_INFINITY; // failed last time: first, as vitest does
      return ESTIMATED_SECONDS[path.split('\\').join('/')] ?? -1;
    };
    const size = (spec: TestSpecification) =>
      this.ctx.cache.getFileStats(`${spec.project.name}:${relative(root, spec.moduleId)}`)?.size ?? 0;
    return [...files].sort((a, b) => estimate(b) - estimate(a) || size(b) - size(a));
  }
}
