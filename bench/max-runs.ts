/**
 * What a DAG costs Airflow by its number of runs, in Airflow 2.11 and 3.0: the scheduler's
 * parse + serialize of the file (one mapped task per 1,024 runs), and at run time the `runs`
 * task that makes every run's arguments and stores them as one XCom in the metadata
 * database. The hard ceiling on runs per DAG (HARD_MAX_RUNS_PER_DAG, src/config/limits.ts)
 * comes from these figures. A figure, not a test:
 * Then the same for DAGs of many one-run strategies (each adds a `runs` task and a Batch
 * task), for the ceiling on strategies per DAG (MAX_STRATEGIES_PER_DAG).
 *   npx tsx bench/max-runs.ts [RUNS...]      # default 10000 50000 100000
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
const SIZES = process.argv.slice(2).map(Number);
const RUNS = SIZES.length > 0 ? SIZES : [10_000, 50_000, 100_000];
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const STRATEGIES = [10, 100, 1000];

interface Figures {
  parse_ms: number;
  serialize_ms: number;
  runs_task_ms: number;
  xcom_bytes: number;
  tasks: number;
}

const root = await mkdtemp(join(tmpdir(), 'bench-max-runs-'));
try {
  const folders: string[] = [];
  for (const runs of RUNS) {
    const dagId = `runs_${runs}`;
    const spec = buildSpec({
      dag_id: dagId,
      strategies: [
        { param_grid: { lookback: range(runs / 100), take_profit_pct: range(100).map((i) => i / 10) } },
      ],
    });
    const folder = join(root, dagId);
    await mkdir(folder);
    await writeFile(join(folder, `${dagId}.py`), renderDag(spec));
    folders.push(folder);
  }
  for (const count of STRATEGIES) {
    const dagId = `strategies_${count}`;
    const spec = buildSpec({ dag_id: dagId, strategies: range(count).map((i) => ({ name: `s${i}` })) });
    const folder = join(root, dagId);
    await mkdir(folder);
    await writeFile(join(folder, `${dagId}.py`), renderDag(spec));
    folders.push(folder);
  }
  console.log('airflow     runs  tasks   parse+serialize   runs task    XCom MB');
  for (const { venv } of AIRFLOW_VENVS) {
    const home = await mkdtemp(join(tmpdir(), 'bench-airflow-home-'));
    try {
      const { stdout } = await run(venvBin(venv, 'python'), [`${projectRoot}bench/max-runs.py`, ...folders], {
        env: airflowEnv(home),
        maxBuffer: 64 << 20,
      });
      const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
        airflow: string;
        dags: Record<string, Figures>;
      };
      for (const runs of RUNS) {
        const f = result.dags[`runs_${runs}`] as Figures;
        console.log(
          `${result.airflow.padEnd(8)} ${String(runs).padStart(7)} ${String(f.tasks).padStart(6)} ` +
            `${(f.parse_ms + f.serialize_ms).toFixed(0).padStart(13)} ms ${f.runs_task_ms.toFixed(0).padStart(8)} ms ` +
            `${(f.xcom_bytes / 1e6).toFixed(1).padStart(9)}`,
        );
      }
      for (const count of STRATEGIES) {
        const f = result.dags[`strategies_${count}`] as Figures;
        console.log(
          `${result.airflow.padEnd(8)} ${`${count} strategies`.padStart(16)} ${String(f.tasks).padStart(6)} tasks ` +
            `${(f.parse_ms + f.serialize_ms).toFixed(0).padStart(8)} ms parse+serialize`,
        );
      }
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
