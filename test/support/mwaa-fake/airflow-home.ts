import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AirflowRun, startAirflowCli } from '../airflow-cli.js';
import { projectRoot, type VenvName, venvBin } from '../python.js';
import { buildOnce } from './build-once.js';

export type { AirflowRun };

/** A throwaway AIRFLOW_HOME with a migrated SQLite metadata DB and an empty DAG folder. */
export interface AirflowHome {
  home: string;
  dagsFolder: string;
  /** The environment every command runs with (AIRFLOW_HOME, the SQLite DB, the DAG folder). */
  env: NodeJS.ProcessEnv;
  /** `airflow ARGS`, through the warm CLI (test/support/airflow-cli.ts). */
  run(args: readonly string[], opts?: { env?: Record<string, string> }): Promise<AirflowRun>;
  /**
   * One scheduler parsing pass over the DAG folder (serialize DAGs, record import errors),
   * then `airflow ARGS`. On Airflow 2 both run in one Python process (one interpreter start
   * and Airflow import instead of two). Throws when the pass fails.
   */
  runAfterSchedulerPass(args: readonly string[]): Promise<AirflowRun>;
  /** `python SCRIPT ARGS` in this environment, through the warm CLI's interpreter. */
  runScript(script: string, args: readonly string[]): Promise<AirflowRun>;
  /** Stops the warm CLI and deletes the home. */
  remove(): Promise<void>;
}

/**
 * `airflow db migrate` takes tens of seconds, so the migrated DB is built once per venv
 * under .cache/ and copied into each new home.
 */
export async function createAirflowHome(venv: VenvName = 'airflow2'): Promise<AirflowHome> {
  const template = await migratedDbTemplate(venv);
  const home = mkdtempSync(join(tmpdir(), 'mwaa-fake-'));
  const dagsFolder = join(home, 'dags');
  mkdirSync(dagsFolder);
  copyFileSync(template, join(home, 'airflow.db'));
  const env = airflowEnv(home);
  // Started now, so Airflow is imported while the caller sets up the rest.
  const cli = startAirflowCli(venv, env);
  return {
    home,
    dagsFolder,
    env,
    run: (args, opts) => cli.run(args, opts),
    runScript: (script, args) => cli.run(args, { script }),
    async runAfterSchedulerPass(args) {
      if (venv === 'airflow2') {
        // scheduler_pass.py, then `airflow ARGS`, in one forked child.
        const run = await cli.run(args, { passFolder: dagsFolder });
        if (run.code === PASS_FAILED) throw new Error(`scheduler pass failed: ${run.stderr.slice(-2000)}`);
        return run;
      }
      const pass = await cli.run(['dags', 'reserialize']);
      if (pass.code !== 0) throw new Error(`scheduler pass failed: ${pass.stderr.slice(-2000)}`);
      return cli.run(args);
    },
    async remove() {
      await cli.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

function airflowEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    AIRFLOW_HOME: home,
    AIRFLOW__CORE__DAGS_FOLDER: join(home, 'dags'),
    AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${join(home, 'airflow.db')}`,
    AIRFLOW__LOGGING__LOGGING_LEVEL: 'WARNING',
  };
}

/**
 * A SQLite metadata DB that `airflow db migrate` built for this venv, cached under .cache/ by
 * the venv's lock hash; copy it instead of migrating (tens of seconds) in every test. Built
 * once per machine: test files that miss it at once (a clean clone) wait for the one that
 * migrates (buildOnce's lock) instead of each migrating.
 */
export async function migratedDbTemplate(venv: VenvName): Promise<string> {
  // Keyed by the venv's lock hash: a rebuilt venv (another Airflow) gets a fresh template.
  const lockFile = join(projectRoot, '.cache', 'venvs', venv, '.lock-sha256');
  const lock = existsSync(lockFile) ? readFileSync(lockFile, 'utf8').trim().slice(0, 12) : 'unlocked';
  const db = join(projectRoot, '.cache', 'mwaa-fake', `${venv}-${lock}`, 'airflow.db');
  return buildOnce(db, async (staged) => {
    const work = mkdtempSync(join(tmpdir(), 'mwaa-fake-template-'));
    try {
      const res = await runAirflow(venv, ['db', 'migrate'], airflowEnv(work));
      if (res.code !== 0) throw new Error(`airflow db migrate failed: ${res.stderr.slice(-2000)}`);
      copyFileSync(join(work, 'airflow.db'), staged);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}

/** scheduler_pass.py's exit code when the pass itself failed (before any CLI command). */
const PASS_FAILED = 97;

function runAirflow(venv: VenvName, args: readonly string[], env: NodeJS.ProcessEnv): Promise<AirflowRun> {
  return runProcess(venvBin(venv, 'airflow'), args, env);
}

function runProcess(exe: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<AirflowRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(exe, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        code: code ?? 1,
      }),
    );
  });
}
