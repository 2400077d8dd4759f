import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigRepo } from '../../src/config/index.js';
import { renderDag } from '../../src/render/index.js';
import { airflowEnv } from '../support/airflow.js';
import { startAirflowCli } from '../support/airflow-cli.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { AIRFLOW_VENVS, venvBin } from '../support/python.js';
import { buildSpec } from './spec-builder.js';

const run = promisify(execFile);

/**
 * MWAA keeps Airflow's metadata in PostgreSQL. A DAG whose strings PostgreSQL cannot store
 * imports fine in a DagBag but is never saved, so it never appears in Airflow. Here the
 * rendered DAGs are saved (`airflow dags reserialize`) into a real PostgreSQL metadata
 * database, in Airflow 2 and 3: a DAG with a NUL or a lone surrogate in its description is
 * refused by the database, a DAG with any other text is stored; and the config language
 * refuses those strings before a DAG is ever rendered (unstorable-text). A parameter's value
 * is not in the DAG's row (the runs are made at run time), so a NUL there saves; the config
 * language refuses it all the same, as no process environment can hold a NUL.
 */
const TEXTS: Record<string, { description: string; value: string; storable: boolean; valid: boolean }> = {
  pg_storable: {
    description: 'Caf\u00e9 \u2028 \uFFFD \u{1F600} \'"\\ {{ x }}',
    value: 'tab\there',
    storable: true,
    valid: true,
  },
  pg_nul_description: { description: 'a\u0000b', value: 'x', storable: false, valid: false },
  pg_nul_param: { description: 'fine', value: 'a\u0000b', storable: true, valid: false },
  pg_surrogate: { description: 'lone \uD800 half', value: 'x', storable: false, valid: false },
};

describe.each(AIRFLOW_VENVS)('DAG strings in a PostgreSQL metadata DB ($label)', ({ venv }) => {
  let pg: PostgresServer;
  let root: string;
  const saved = new Map<string, { code: number; stored: boolean; stderr: string }>();

  beforeAll(async () => {
    pg = await startPostgres();
    root = await mkdtemp(join(tmpdir(), `pg-dags-${venv}-`));
    // Each DAG in a folder of its own, saved by a `dags reserialize` of its own (one refused
    // DAG fails its whole command). All commands run through one warm CLI (Airflow imported
    // once, a process forked per command) on one environment, so each names its DAG's folder:
    // Airflow 2 with `--subdir`, Airflow 3 (no `--subdir`) with `--bundle-name`, one local
    // bundle per folder.
    const bundles = Object.keys(TEXTS).map((dagId) => ({
      name: dagId,
      classpath: 'airflow.dag_processing.bundles.local.LocalDagBundle',
      kwargs: { path: join(root, dagId), refresh_interval: 0 },
    }));
    const cli = startAirflowCli(
      venv,
      airflowEnv(root, {
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: pg.url,
        AIRFLOW__CORE__DAGS_FOLDER: root,
        AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST: JSON.stringify(bundles),
      }),
    );
    try {
      const migrate = await cli.run(['db', 'migrate']);
      expect(migrate.code, migrate.stderr.slice(-1500)).toBe(0);
      for (const [dagId, text] of Object.entries(TEXTS)) {
        const folder = join(root, dagId);
        await mkdir(folder);
        const spec = buildSpec({
          dag_id: dagId,
          description: text.description,
          strategies: [{ parameters: { initial_capital: 1000000, note: text.value } }],
        });
        await writeFile(join(folder, `${dagId}.py`), renderDag(spec));
        const which = venv === 'airflow2' ? ['--subdir', folder] : ['--bundle-name', dagId];
        const { code, stderr } = await cli.run(['dags', 'reserialize', ...which]);
        saved.set(dagId, { code, stderr, stored: false });
      }
    } finally {
      await cli.stop();
    }
    // Which DAGs have a row, read straight from PostgreSQL once all were saved (a later
    // reserialize never removes an earlier DAG's row).
    const { stdout } = await run(
      venvBin(venv, 'python'),
      [
        '-c',
        'import json, sys, psycopg2\n' +
          'c = psycopg2.connect(host="127.0.0.1", port=int(sys.argv[1]), user="airflow", dbname="airflow").cursor()\n' +
          'c.execute("select dag_id from dag")\n' +
          'print(json.dumps(sorted(r[0] for r in c.fetchall())))',
        String(pg.port),
      ],
      { env: airflowEnv(root) },
    );
    const rows = JSON.parse(stdout) as string[];
    for (const [dagId, result] of saved) result.stored = rows.includes(dagId);
    // Only the four DAGs: each command saved its own folder's DAG, nothing else.
    expect(rows.filter((id) => !(id in TEXTS))).toEqual([]);
  }, 900_000);

  afterAll(async () => {
    await pg?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it.each(Object.keys(TEXTS))('%s: stored exactly when its strings are storable', (dagId) => {
    const result = saved.get(dagId);
    expect(result?.stored, result?.stderr.slice(-1500)).toBe(TEXTS[dagId]?.storable);
    // ...and the command that saved it says so: it fails exactly when the DAG was refused.
    expect(result?.code === 0, result?.stderr.slice(-1500)).toBe(TEXTS[dagId]?.storable);
  });

  it('the database, not the DagBag, refuses NUL (the failure this rule prevents)', () => {
    expect(saved.get('pg_nul_description')?.stderr).toMatch(/NUL|0x00/);
  });

  it('the config language refuses every unstorable text before rendering', () => {
    for (const [dagId, text] of Object.entries(TEXTS)) {
      const yaml =
        `dag_id: ${dagId}\nstrategy_class: S\nstart_date: 2022-01-01\nend_date: 2022-12-31\n` +
        `description: ${JSON.stringify(text.description)}\nparams:\n  note: ${JSON.stringify(text.value)}\n`;
      const result = loadConfigRepo(new Map([['backtests/x.yaml', yaml]]));
      expect(
        result.issues.map((i) => i.code),
        dagId,
      ).toEqual(text.valid ? [] : ['unstorable-text']);
    }
  });
});
