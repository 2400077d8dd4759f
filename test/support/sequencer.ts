import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Longest files first, so the run ends with short files filling the workers instead of one
 * long file running alone: by each file's duration in the last run (vitest's cache, kept in
 * .cache/vite with the other caches), and for a file the cache does not know (a fresh clone),
 * by the estimate below; files known to neither go after the estimated ones, largest first.
 */
const ESTIMATED_SECONDS: Record<string, number> = {
  // Seconds of the last full run on 2 cores with 3 workers; only the order matters.
  'test/reliability/reconcile-faults.test.ts': 150,
  'test/e2e/users-day.test.ts': 80,
  'test/airflow/dags-test-moto.test.ts': 75,
  'test/controller/deploy-truth-serve.test.ts': 73,
  'test/s3/deploy-truth.test.ts': 53,
  'test/mwaa/mwaa-cli.test.ts': 49,
  'test/airflow/dags-test-failures.test.ts': 46,
  'test/mwaa/mwaa-import-check.test.ts': 45,
  'test/results/follow-mwaa.test.ts': 37,
  'test/airflow/postgres-metadata.test.ts': 33,
  'test/reliability/soak.test.ts': 30,
  'test/s3/crash.test.ts': 27,
  'test/controller/two-replicas.test.ts': 25,
  'test/airflow/airflow-cli-warm.test.ts': 20,
  'test/mwaa/mwaa-airflow3.test.ts': 19,
  'test/controller/serve.test.ts': 17,
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
