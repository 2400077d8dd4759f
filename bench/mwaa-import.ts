/**
 * Time from apply start to a confirmed import on MWAA, for 1 and 100 changed DAGs: the real
 * `mwaa://` target (GetEnvironment -> S3DagStore on moto), planAgainstTarget + applyPlan, then the
 * import check over the CLI endpoint of the MWAA fake, which runs the real Airflow 2.11 CLI
 * (each CLI call is a fresh `airflow` process, as on MWAA; the fake syncs S3 into its DAG
 * folder and runs one scheduler pass before answering, so its "MWAA picks files up" delay is
 * that pass, not MWAA's ~30 s S3 sync).
 *   npx tsx bench/mwaa-import.ts [--synthetic]
 * Default: DAGs rendered by renderRepo; --synthetic uses minimal EmptyOperator DAGs, to see
 * how much of the time is Airflow parsing our DAG files.
 */
import { createHash } from 'node:crypto';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { checkApplyImport } from '../src/mwaa/apply-check.js';
import { isMwaaDagStore, resolveMwaaTarget } from '../src/mwaa/mwaa-target.js';
import { planAgainstTarget } from '../src/pipeline/prepare-sync.js';
import type { DesiredFile } from '../src/plan/types.js';
import { renderRepo } from '../src/render/index.js';
import { parseEnv } from '../src/shared/env.js';
import { applyPlan } from '../src/targets/apply-plan.js';
import { backtestSpec } from '../test/mwaa/fixtures.js';
import { MOTO_ENV, motoS3Client, startMoto } from '../test/support/moto.js';
import { startMwaaFake } from '../test/support/mwaa-fake/index.js';

const rendered = !process.argv.includes('--synthetic');
const BUCKET = 'bench-mwaa';

function synthetic(dagId: string, version: number): DesiredFile {
  const content = [
    '# synthetic backtest DAG for bench/mwaa-import.ts',
    'import pendulum',
    'from airflow import DAG',
    'from airflow.operators.empty import EmptyOperator',
    `with DAG(${JSON.stringify(dagId)}, start_date=pendulum.datetime(2024, 1, 1), schedule=None, tags=["v${version}"]):`,
    '    EmptyOperator(task_id="before") >> EmptyOperator(task_id="backtest") >> EmptyOperator(task_id="after")',
    '',
  ].join('\n');
  const sha256 = createHash('sha256').update(content).digest('hex');
  return { key: `${dagId}.py`, content, sha256, source: `backtests/${dagId}.yaml`, dag_id: dagId, runs: 1 };
}

function desired(count: number, version: (i: number) => number): DesiredFile[] {
  const ids = Array.from({ length: count }, (_, i) => `bench_${String(i).padStart(3, '0')}`);
  if (!rendered) return ids.map((id, i) => synthetic(id, version(i)));
  return renderRepo(ids.map((id, i) => backtestSpec(id, { description: `bench ${id} v${version(i)}` })));
}

async function main() {
  Object.assign(process.env, MOTO_ENV);
  const moto = await startMoto();
  await motoS3Client(moto.endpoint).send(new CreateBucketCommand({ Bucket: BUCKET }));
  const fake = await startMwaaFake({
    s3Endpoint: moto.endpoint,
    bucket: BUCKET,
    prefix: 'dags',
    name: 'bench-env',
  });
  const env = {
    ...MOTO_ENV,
    AWS_ENDPOINT_URL_S3: moto.endpoint,
    BACKTEST_GITOPS_MWAA_ENDPOINT: fake.endpoint,
  };
  const rows: string[][] = [];
  try {
    // 1: one new DAG into an empty environment; 100: 100 new DAGs; 1 of 101: one updated among 101.
    const scenarios: { label: string; files: DesiredFile[] }[] = [
      { label: '1 new DAG', files: desired(1, () => 1) },
      { label: '100 new DAGs', files: desired(101, () => 1) },
      { label: '1 updated (of 101)', files: desired(101, (i) => (i === 50 ? 2 : 1)) },
    ];
    for (const { label, files } of scenarios) {
      const callsBefore = fake.stats.cliCalls.length;
      const t0 = performance.now();
      const store = await resolveMwaaTarget('mwaa://bench-env', {
        options: parseEnv(env),
        cwd: process.cwd(),
      });
      if (!isMwaaDagStore(store)) throw new Error('not an MWAA store');
      const { plan } = await planAgainstTarget({
        desired: files,
        invalidSources: [],
        store,
        commit: 'bench',
      });
      const result = await applyPlan(plan, files, store, { concurrency: 8 });
      const t1 = performance.now();
      const check = await checkApplyImport(store, result, {
        waitSeconds: 600,
        unpauseNew: false,
        triggerNew: false,
        pollIntervalMs: 1_000,
      });
      const t2 = performance.now();
      const changed = check?.dags.length ?? 0;
      const imported = check?.dags.filter((d) => d.imported).length ?? 0;
      rows.push([
        label,
        String(changed),
        `${((t1 - t0) / 1000).toFixed(2)}`,
        `${((t2 - t1) / 1000).toFixed(2)}`,
        `${((t2 - t0) / 1000).toFixed(2)}`,
        String(check?.polls ?? 0),
        String(fake.stats.cliCalls.length - callsBefore),
        `${check?.state ?? 'no check'} (${imported}/${changed} imported)`,
      ]);
      console.error(`done: ${label}`);
    }
  } finally {
    await fake.stop();
    await moto.stop();
  }
  const header = ['scenario', 'changed', 'apply s', 'check s', 'total s', 'polls', 'CLI calls', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(
    `MWAA import check on the local fake (Airflow 2.11 CLI), ${rendered ? 'rendered' : 'synthetic'} DAGs`,
  );
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

await main();
