import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AirflowRun } from '../support/airflow-cli.js';
import { type AirflowHome, createAirflowHome } from '../support/mwaa-fake/airflow-home.js';
import { AIRFLOW_VENVS, type VenvName, venvBin } from '../support/python.js';

/**
 * The warm Airflow CLI (test/support/airflow_forkserver.py: Airflow imported once, a fork
 * per command) stands in for `airflow ...` in the MWAA fake and the test helpers. For every
 * command they use it must answer exactly what a cold `airflow` process answers: exit code,
 * stdout and stderr, byte for byte, on the same metadata DB (checked once for every command
 * the product sends, in both versions, trigger and list-runs included; kept here is the part
 * that breaks first: import warnings, tracebacks, the fernet key of a fresh home).
 */

function cold(venv: VenvName, args: readonly string[], env: NodeJS.ProcessEnv): Promise<AirflowRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(venvBin(venv, 'airflow'), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
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

const BROKEN = 'from airflow import DAG\nraise ValueError("broken on purpose")\n';
const GOOD = `from airflow import DAG
import pendulum
with DAG("warm_cli_probe", schedule=None, start_date=pendulum.datetime(2024, 1, 1), tags=["probe"]):
    pass
`;

function writeProbes(folder: string): void {
  writeFileSync(join(folder, 'warm_cli_probe.py'), GOOD);
  writeFileSync(join(folder, 'broken_probe.py'), BROKEN);
}

describe.each(AIRFLOW_VENVS)('the warm Airflow CLI answers as a cold `airflow` in $label', ({ venv }) => {
  let home: AirflowHome;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    home = await createAirflowHome(venv);
    env = home.env;
    writeProbes(home.dagsFolder);
    const pass = await home.runAfterSchedulerPass(['version']);
    expect(pass.code).toBe(0);
  });

  afterAll(async () => {
    await home?.remove();
  });

  // `home.run` is the warm CLI; `cold` runs `airflow` on the same home. Each cold run costs
  // seconds of CPU, so the suite keeps the few that break first: the listing the import
  // check reads (import warnings on stderr) and, on Airflow 2, a traceback.
  it('the import-error listing (and on Airflow 2 a traceback) equals a cold run, byte for byte', async () => {
    const commands: string[][] = [
      ['dags', 'list-import-errors', '-o', 'json'],
      ...(venv === 'airflow2'
        ? [['tasks', 'states-for-dag-run', 'warm_cli_probe', 'no_such_run', '-o', 'json']]
        : []),
    ];
    // Read-only commands on one DB: the cold and warm runs go side by side.
    const answers = await Promise.all(
      commands.map((args) => Promise.all([home.run(args), cold(venv, args, env)])),
    );
    for (const [i, [warm, coldRun]] of answers.entries()) {
      expect(warm, commands[i]?.join(' ')).toEqual(coldRun);
    }
  });

  it('a Variable the warm CLI encrypts, a cold run reads back alike', async () => {
    expect((await home.run(['variables', 'set', 'batch_job_queue', 'q-1'])).code).toBe(0);
    const get = ['variables', 'get', 'batch_job_queue'];
    const [a, b] = await Promise.all([cold(venv, get, env), home.run(get)]);
    expect(a.stdout).toBe('q-1\n');
    expect(b).toEqual(a);
  });
});
