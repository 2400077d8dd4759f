import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Longest files first, so the run ends with short files filling the workers instead of one
 * long file running alone: by each file's duration in the last run (vitest's cache, kept in
 * .cache/vite with the other caches), and for a file the cache does not know (a fresh clone),
 * by the estimate below; files known to neither go after the estimated ones, largest first.
 */
const ESTIMATED_SECONDS: Record<string, number> = {
  // Seconds per file in a full clean-clone run (2 cores, other files running alongside); only the
  // order matters. Refresh from .cache/vite/vitest/*/results.json after a run when it drifts.
  'test/s3/deploy-truth.test.ts': 129,
  'test/results/follow-mwaa-airflow3.test.ts': 121,
  'test/airflow/dags-test-moto.test.ts': 92,
  'test/reliability/reconcile-faults.test.ts': 87,
  'test/s3/crash.test.ts': 84,
  'test/airflow/dags-test-failures.test.ts': 57,
  'test/e2e/users-day.test.ts': 44,
  'test/airflow/airflow-cli-warm.test.ts': 43,
  'test/controller/deploy-truth-serve.test.ts': 33,
  'test/s3/manifest-shards.test.ts': 32,
  'test/mwaa/mwaa-cli.test.ts': 32,
  'test/airflow/injection-fuzz.test.ts': 29,
  'test/controller/serve.test.ts': 29,
  'test/airflow/dagbag-corpus.test.ts': 27,
  'test/reliability/soak.test.ts': 26,
  'test/controller/two-replicas.test.ts': 26,
  'test/s3/noop-digest.test.ts': 25,
  'test/airflow/postgres-metadata.test.ts': 25,
  'test/s3/three-appliers.test.ts': 24,
  'test/s3/s3-sync.test.ts': 24,
  'test/airflow/callbacks.test.ts': 24,
  'test/docker/image.test.ts': 21,
  'test/mwaa/mwaa-import-check.test.ts': 21,
  'test/github/pr-scenarios.test.ts': 20,
  'test/controller/serve-resilience.test.ts': 19,
  'test/s3/cli-s3.test.ts': 19,
  'test/airflow/examples-render.test.ts': 19,
  'test/s3/noop-fast-path.test.ts': 17,
  'test/mwaa/mwaa-airflow3.test.ts': 16,
  'test/results/follow-mwaa.test.ts': 16,
  'test/github/hostile-pr.test.ts': 14,
  'test/s3/cli-errors.test.ts': 13,
  'test/s3/manifest-race.test.ts': 12,
  'test/controller/serve-full-stack.test.ts': 10,
  'test/github/pr-edge-cases.test.ts': 9,
  'test/helm/chart.test.ts': 9,
  'test/github/forged-markers.test.ts': 8,
  'test/git/git-repo-cache.test.ts': 8,
  'test/cli/lazy-imports.test.ts': 8,
  'test/github/webhook-flood.test.ts': 8,
  'test/controller/manifest-cost.test.ts': 8,
  'test/github/pr-base-moves.test.ts': 7,
  'test/git/repo-source.test.ts': 6,
  'test/cli/noop-imports.test.ts': 5,
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
