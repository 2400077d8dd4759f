import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliArgs } from './cli.js';
import { projectRoot } from './python.js';

/** One JSON log line of the controller. */
export type LogLine = Record<string, unknown> & { msg: string; reconcile?: string };

export interface ServeProcess {
  child: ChildProcess;
  port: number;
  /** Every stdout+stderr byte, for secret checks. */
  output(): string;
  lines(): LogLine[];
  /** Waits for a log line matching `pred` (scanning from line index `from`), bounded by `timeoutMs`. */
  waitFor(pred: (l: LogLine) => boolean, timeoutMs?: number, from?: number): Promise<LogLine>;
  /** Sends a signal and waits for exit; returns the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Starts `backtestctl serve` as a real child process (the CLI compiled for the tests, test/support/cli-build.ts). */
export async function startServe(
  configPath: string,
  env: Record<string, string> = {},
): Promise<ServeProcess> {
  const child = spawn(process.execPath, cliArgs('serve', '--config', configPath), {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let parsed: LogLine[] = [];
  let pending = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    const text = d.toString();
    out += text;
    pending += text;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const p of parts) {
      try {
        parsed = [...parsed, JSON.parse(p) as LogLine];
      } catch {
        // stderr text (e.g. a usage error) is kept in `out` only
      }
    }
    for (const w of waiters) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  exited.then(() => {
    for (const w of waiters) w();
  });

  const waitFor = (pred: (l: LogLine) => boolean, timeoutMs = 60_000, from = 0) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const hit = parsed.slice(from).find(pred);
        if (hit) {
          cleanup();
          resolve(hit);
        } else if (child.exitCode !== null) {
          cleanup();
          reject(
            new Error(`serve exited (${child.exitCode}) before the expected log line:\n${out.slice(-3000)}`),
          );
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for a log line:\n${out.slice(-3000)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const started = await waitFor((l) => l.msg === 'controller started', 60_000);
  return {
    child,
    port: Number(started.port),
    output: () => out,
    lines: () => parsed,
    waitFor,
    exited,
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Parses Prometheus text exposition into `name{labels}` → value; throws on a malformed line. */
export function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)( [0-9]+)?$/.exec(
        line,
      );
    if (!m) throw new Error(`not Prometheus text: ${JSON.stringify(line)}`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return samples;
}

/** What the serve tests vary in a controller config; everything else is the tests' usual. */
export interface TestControllerConfig {
  /** The config repo to follow (a bare repository's path). */
  repoUrl: string;
  /** The local DAG folder target. */
  target: string;
  /** The local GitHub server to report to; omitted: no GitHub (webhook-only tests). */
  github?: { owner: string; repo: string; baseUrl: string };
  /** node-cron schedule, with seconds. */
  schedule: string;
  logLevel?: 'debug' | 'info';
  /** Further top-level lines of controller YAML. */
  extra?: readonly string[];
}

/**
 * Writes `controller.yaml` into `dir` for a `serve` test: the repo, the target, the
 * schedule and (optionally) GitHub, with the cache in ./cache and the HTTP server on a free
 * loopback port. Returns the file's path for startServe.
 */
export function writeTestControllerConfig(dir: string, config: TestControllerConfig): string {
  const lines = [
    `repo: { url: ${JSON.stringify(config.repoUrl)}, branch: main }`,
    `target: ${JSON.stringify(config.target)}`,
    ...(config.github
      ? [
          // The local server has no secondary rate limits: no 1 s / 3 s spacing of writes.
          `github: { repository: ${config.github.owner}/${config.github.repo}, base_url: ${JSON.stringify(config.github.baseUrl)}, space_writes: false }`,
        ]
      : []),
    `schedule: ${JSON.stringify(config.schedule)}`,
    'cache_dir: ./cache',
    'http: { port: 0, host: 127.0.0.1 }',
    `log: { level: ${config.logLevel ?? 'info'} }`,
    ...(config.extra ?? []),
  ];
  const path = join(dir, 'controller.yaml');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}
