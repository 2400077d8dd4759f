/**
 * Scheduler cost of one DAG file by grid size: DagBag parse and SerializedDAG CPU time and
 * bytes of a 10-, 1,000- and 10,000-run backtest DAG, in Airflow 2.11 and 3.0 (each file
 * alone in its own DagBag, shared imports warmed up first; medians of ROUNDS, and the
 * fastest round, which a busy machine disturbs least). The runs' arguments are
 * made at run time by the DAG's `runs` task, so the file costs about the same at any grid
 * size; only the number of mapped parts (1 per 1,024 runs) grows. A figure, not a test:
 *   npx tsx bench/dag-grid-size.ts [ROUNDS]
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { renderDag } from '../src/render/index.js';
import { buildSpec } from '../test/airflow/spec-builder.js';
import { airflowEnv } from '../test/support/airflow.js';
import { AIRFLOW_VENVS, projectRoot, venvBin } from '../test/support/python.js';

const run = promisify(execFile);
const ROUNDS = Number(process.argv[2] ?? 20);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const GRIDS: [string, number, number][] = [
  ['runs_10', 10, 1],
  ['runs_1000', 100, 10],
  ['runs_10000', 100, 100],
];

interface Figures {
  total_min_ms: number;
  parse_ms: number;
  serialize_ms: number;
  bytes: number;
  tasks: number;
}

const root = await mkdtemp(join(tmpdir(), 'bench-grid-size-'));
try {
  const folders: string[] = [];
  for (const [dagId, a, b] of GRIDS) {
    const spec = buildSpec({
      dag_id: dagId,
      strategies: [{ param_grid: { lookback: range(a), take_profit_pct: range(b).map((i) => i / 10) } }],
    });
    const folder = join(root, dagId);
    await mkdir(folder);
    await writeFile(join(folder, `${dagId}.py`), renderDag(spec));
    folders.push(folder);
  }
  console.log(`DAG parse + serialize CPU time by grid size, ${ROUNDS} rounds, one DAG per DagBag`);
  console.log(
    `${'airflow'.padEnd(8)} ${'runs'.padStart(6)} ${'tasks'.padStart(5)} ${'parse'.padStart(9)} ${'serialize'.padStart(9)} ${'total'.padStart(9)} ${'fastest'.padStart(9)} ${'bytes'.padStart(7)}  vs 10 runs (median, fastest)`,
  );
  for (const { venv } of AIRFLOW_VENVS) {
    const home = await mkdtemp(join(tmpdir(), 'bench-airflow-home-'));
    try {
      const { stdout } = await run(
        venvBin(venv, 'python'),
        [`${projectRoot}bench/dag-grid-size.py`, String(ROUNDS), ...folders],
        { env: airflowEnv(home), maxBuffer: 64 << 20 },
      );
      const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
        airflow: string;
        dags: Record<string, Figures>;
      };
      const base = result.dags.runs_10 as Figures;
      const total = (f: Figures) => f.parse_ms + f.serialize_ms;
      for (const [dagId, a, b] of GRIDS) {
        const f = result.dags[dagId] as Figures;
        console.log(
          `${result.airflow.padEnd(8)} ${String(a * b).padStart(6)} ${String(f.tasks).padStart(5)} ` +
            `${f.parse_ms.toFixed(1).padStart(6)} ms ${f.serialize_ms.toFixed(1).padStart(6)} ms ` +
            `${total(f).toFixed(1).padStart(6)} ms ${f.total_min_ms.toFixed(1).padStart(6)} ms ${String(f.bytes).padStart(7)}  ` +
            `${(total(f) / total(base)).toFixed(2)}x, ${(f.total_min_ms / base.total_min_ms).toFixed(2)}x time, ` +
            `${(f.bytes / base.bytes).toFixed(2)}x bytes`,
        );
      }
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
