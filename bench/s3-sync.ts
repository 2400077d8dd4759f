/**
 * S3 requests and wall time of deploying 1,000 rendered backtest DAGs: backtestctl apply vs
 * `aws s3 sync` (with and without --delete) over the same rendered folder, against a local
 * moto S3 with every request counted by the fault proxy (no faults injected).
 *   npx tsx bench/s3-sync.ts [N]
 * Scenarios: (a) first deploy, (b) no change, (c) one config changed, (d) fresh clone with no
 * change (new mtimes), (e) one config deleted.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { loadConfigRepo } from '../src/config/index.js';
import { planSync } from '../src/plan/plan-sync.js';
import type { DesiredFile } from '../src/plan/types.js';
import { renderRepo } from '../src/render/index.js';
import { applyPlan } from '../src/targets/apply-plan.js';
import { S3DagStore } from '../src/targets/s3-dag-store.js';
import { startFaultProxy } from '../test/support/fault-proxy.js';
import { MOTO_ENV, motoS3Client, startMoto } from '../test/support/moto.js';
import { venvBin } from '../test/support/python.js';

const N = Number(process.argv[2] ?? 1000);
const BUCKET = 'bench-dags';

function configYaml(i: number, capital: number): string {
  return [
    `description: Synthetic backtest ${i} for the S3 sync benchmark.`,
    'tags: [bench]',
    `strategy_class: ${i % 2 ? 'MomentumStrategy' : 'LongShortEquityStrategy'}`,
    'start_date: 2022-01-01',
    'end_date: 2022-12-31',
    `initial_capital: ${capital}`,
    'factors: [DebtToEquity, Momentum12m]',
    'rebalance_period: 5',
    'param_grid:',
    `  take_profit_pct: [5.0, ${10 + (i % 7)}.0, 15.0]`,
    '  stop_loss_pct: [3.0, 5.0, 8.0]',
    '',
  ].join('\n');
}

function render(changed: Map<number, number> = new Map(), without: Set<number> = new Set()): DesiredFile[] {
  const files = new Map<string, string>();
  for (let i = 0; i < N; i++) {
    if (without.has(i)) continue;
    files.set(`backtests/bt_${String(i).padStart(4, '0')}.yaml`, configYaml(i, changed.get(i) ?? 1_000_000));
  }
  const result = loadConfigRepo(files);
  if (result.invalidFiles.length > 0)
    throw new Error(`bench configs invalid: ${JSON.stringify(result.issues[0])}`);
  return renderRepo(result.specs);
}

async function writeFolder(dir: string, files: DesiredFile[]): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  for (const f of files) {
    await mkdir(dirname(join(dir, f.key)), { recursive: true });
    await writeFile(join(dir, f.key), f.content);
  }
}

const moto = await startMoto();
const proxy = await startFaultProxy({ upstream: moto.endpoint });
const direct = motoS3Client(moto.endpoint);
await direct.send(new CreateBucketCommand({ Bucket: BUCKET }));
const work = await mkdtemp(join(tmpdir(), 'btg-bench-'));
const client = motoS3Client(proxy.endpoint);
const ours = new S3DagStore({ client, bucket: BUCKET, prefix: 'ours' });

async function measure(
  run: () => Promise<void>,
): Promise<{ requests: number; ms: number; mb: number; detail: string }> {
  const mark = proxy.log.length;
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  const counts = proxy.counts(mark);
  const requests = Object.values(counts).reduce((a, b) => a + b, 0);
  const mb = proxy.log.slice(mark).reduce((a, r) => a + r.bytes, 0) / 1e6;
  const detail = Object.entries(counts)
    .sort()
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  return { requests, ms, mb, detail: `${detail}; ${mb.toFixed(2)} MB uploaded` };
}

async function applyOurs(desired: DesiredFile[]): Promise<void> {
  const current = await ours.readManifest();
  const plan = planSync({
    desired,
    manifest: current?.manifest ?? null,
    manifestVersion: current?.version ?? null,
    invalidSources: [],
    commit: 'bench',
  });
  const r = await applyPlan(plan, desired, ours, { concurrency: 16 });
  if (!r.ok) throw new Error('apply failed');
}

function awsSync(dir: string, prefix: string, del: boolean): Promise<void> {
  const args = [
    's3',
    'sync',
    dir,
    `s3://${BUCKET}/${prefix}`,
    '--endpoint-url',
    proxy.endpoint,
    '--only-show-errors',
  ];
  if (del) args.push('--delete');
  return new Promise((resolve, reject) =>
    execFile(venvBin('tools', 'aws'), args, { env: { ...process.env, ...MOTO_ENV } }, (err, _o, stderr) =>
      err ? reject(new Error(`aws s3 sync failed: ${stderr}`)) : resolve(),
    ),
  );
}

type Row = {
  scenario: string;
  ours: Awaited<ReturnType<typeof measure>>;
  sync: Awaited<ReturnType<typeof measure>>;
  syncDel: Awaited<ReturnType<typeof measure>>;
};
const rows: Row[] = [];
async function scenario(
  name: string,
  desired: DesiredFile[],
  folder: string,
  rewrite: boolean,
): Promise<void> {
  if (rewrite) await writeFolder(folder, desired);
  const o = await measure(() => applyOurs(desired));
  const s = await measure(() => awsSync(folder, 'aws', false));
  const d = await measure(() => awsSync(folder, 'awsdel', true));
  rows.push({ scenario: name, ours: o, sync: s, syncDel: d });
}

try {
  const t0 = performance.now();
  const v1 = render();
  const renderMs = performance.now() - t0;
  const clone1 = join(work, 'clone1');
  // aws s3 sync compares size and mtime at second resolution: let S3's LastModified pass the files' mtimes.
  await scenario('(a) first deploy', v1, clone1, true);
  await new Promise((r) => setTimeout(r, 1100));
  await scenario('(b) no change', v1, clone1, false);
  const v2 = render(new Map([[17, 2_500_000]]));
  const changed = v2.find((f) => f.key === 'bt_0017.py');
  if (changed) await writeFile(join(clone1, changed.key), changed.content);
  await new Promise((r) => setTimeout(r, 1100));
  await scenario('(c) one config changed', v2, clone1, false);
  await new Promise((r) => setTimeout(r, 1100));
  await scenario('(d) fresh clone, no change', v2, join(work, 'clone2'), true);
  const v3 = render(new Map([[17, 2_500_000]]), new Set([42]));
  await rm(join(work, 'clone2', 'bt_0042.py'));
  await scenario('(e) one config deleted', v3, join(work, 'clone2'), false);

  const fmt = (m: { requests: number; ms: number; mb: number }) =>
    `${String(m.requests).padStart(5)} req ${String(Math.round(m.ms)).padStart(6)} ms ${m.mb.toFixed(1).padStart(5)} MB`;
  const ratio = (a: number, b: number) =>
    a === 0 ? (b === 0 ? '1x' : `∞ (${b} vs 0)`) : `${(b / a).toFixed(1)}x`;
  console.log(
    `\nS3 sync benchmark: ${N} configs (${v1.length} files, ${Math.round(v1.reduce((a, f) => a + f.content.length, 0) / v1.length)} bytes avg), render ${Math.round(renderMs)} ms, moto via counting proxy\n`,
  );
  console.log(
    `${'scenario'.padEnd(30)} ${'backtestctl apply'.padEnd(29)} ${'aws s3 sync'.padEnd(29)} ${'aws s3 sync --delete'.padEnd(29)} requests sync/ours, --delete/ours | time sync/ours, --delete/ours`,
  );
  for (const r of rows) {
    console.log(
      `${r.scenario.padEnd(30)} ${fmt(r.ours).padEnd(29)} ${fmt(r.sync).padEnd(29)} ${fmt(r.syncDel).padEnd(29)} ` +
        `${ratio(r.ours.requests, r.sync.requests)}, ${ratio(r.ours.requests, r.syncDel.requests)} | ` +
        `${ratio(r.ours.ms, r.sync.ms)}, ${ratio(r.ours.ms, r.syncDel.ms)}`,
    );
  }
  console.log('\nrequests by kind:');
  for (const r of rows) {
    console.log(
      `  ${r.scenario}\n    ours: ${r.ours.detail}\n    sync: ${r.sync.detail}\n    sync --delete: ${r.syncDel.detail}`,
    );
  }
  console.log(
    "\nNote: aws s3 sync times include the AWS CLI's Python start-up (about 1-2 s here); ours run in-process",
  );
  console.log(
    'after rendering (render time above), as the controller does. Requests and bytes are the fair comparison.',
  );
  console.log('aws s3 sync without --delete never removes the deleted DAG (it stays live in MWAA);');
  console.log('with --delete it deletes anything under the prefix not in the local folder, owned or not.');
} finally {
  await proxy.stop();
  await moto.stop();
  await rm(work, { recursive: true, force: true });
}
