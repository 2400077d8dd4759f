import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type VenvName, venvBin } from './python.js';

export interface AirflowRun {
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * The real `airflow` CLI of one venv, for one environment (AIRFLOW_HOME, DB, DAG folder),
 * without paying Python's start and Airflow's import on every command: a warm server
 * (airflow_forkserver.py) imports Airflow once and forks a child per command that runs
 * Airflow's own entry point with the command's argv. Each command is its own process, with
 * its own exit code, stdout and stderr (the import's warnings included, as a cold run prints
 * them). `test/support/airflow-cli.test.ts` checks that outputs equal a cold `airflow` run.
 */
export interface AirflowCli {
  /**
   * `airflow ARGS`; with `script`, `python SCRIPT ARGS` instead (a helper that works on
   * Airflow's models, run in the same warm interpreter: no Python start, no Airflow import).
   * `env` adds variables read when used (connections, AWS credentials), not configuration:
   * the server read that at import.
   */
  run(
    args: readonly string[],
    opts?: { cwd?: string; passFolder?: string; script?: string; env?: Record<string, string> },
  ): Promise<AirflowRun>;
  stop(): Promise<void>;
}

const SERVER = fileURLToPath(new URL('./airflow_forkserver.py', import.meta.url));

/**
 * The interpreter a cold `airflow` runs under: the script's `#!` line (the venv's python where
 * it was built, which differs from `venvBin(venv, 'python')` when .cache/ was copied elsewhere).
 */
function scriptInterpreter(script: string): string {
  const first = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
  const exe = first.startsWith('#!') ? first.slice(2).trim() : '';
  return exe && !exe.includes(' ') && existsSync(exe) ? exe : script.replace(/airflow$/, 'python');
}

export function startAirflowCli(venv: VenvName, env: NodeJS.ProcessEnv): AirflowCli {
  const tmp = mkdtempSync(join(tmpdir(), `airflow-cli-${venv}-`));
  const script = venvBin(venv, 'airflow');
  const child: ChildProcess = spawn(scriptInterpreter(script), [SERVER, script], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let serverErr = '';
  child.stderr?.on('data', (d: Buffer) => {
    serverErr = (serverErr + d.toString()).slice(-8000);
  });
  let nextId = 1;
  const pending = new Map<number, (code: number) => void>();
  let failed: Error | null = null;
  let resolveReady: () => void = () => {};
  let rejectReady: (e: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => undefined); // observed by run()
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  lines.on('line', (line) => {
    const msg = JSON.parse(line) as { ready?: boolean; id?: number; code?: number };
    if (msg.ready) return resolveReady();
    const done = pending.get(msg.id ?? -1);
    pending.delete(msg.id ?? -1);
    done?.(msg.code ?? 1);
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.once('close', (code, signal) => {
    failed = new Error(
      `the Airflow CLI server (${venv}) exited (${code ?? signal}): ${serverErr.slice(-4000)}`,
    );
    rejectReady(failed);
    for (const done of pending.values()) done(-1);
    pending.clear();
  });
  child.on('error', (err) => {
    failed = err;
    rejectReady(err);
  });

  return {
    async run(args, opts = {}) {
      await ready;
      if (failed) throw failed;
      const id = nextId++;
      const stdout = join(tmp, `${id}.out`);
      const stderr = join(tmp, `${id}.err`);
      const code = await new Promise<number>((resolve) => {
        pending.set(id, resolve);
        child.stdin?.write(
          `${JSON.stringify({ id, argv: args, cwd: opts.cwd, stdout, stderr, pass_folder: opts.passFolder, script: opts.script, env: opts.env })}\n`,
        );
      });
      if (code === -1) throw failed ?? new Error('the Airflow CLI server exited');
      const result = { stdout: readFileSync(stdout, 'utf8'), stderr: readFileSync(stderr, 'utf8'), code };
      rmSync(stdout, { force: true });
      rmSync(stderr, { force: true });
      return result;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin?.end(); // the server exits once its running commands have
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
