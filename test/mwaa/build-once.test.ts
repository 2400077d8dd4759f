import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../support/python.js';

/**
 * buildOnce (test/support/mwaa-fake/build-once.ts), which makes the MWAA fake's migrated DB
 * template one `airflow db migrate` per machine, across processes: each caller here is its own
 * Node process, as test files in separate vitest workers are. The build stands in for the
 * migration: it logs its pid, then waits for the test's go-ahead, so both callers are provably
 * running while one builds.
 */
let dir: string;
let child: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'build-once-'));
  child = join(dir, 'caller.mjs');
  // Run with `node --import tsx`: each caller loads build-once.ts itself.
  writeFileSync(
    child,
    `import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { buildOnce } from ${JSON.stringify(pathToFileURL(join(projectRoot, 'test/support/mwaa-fake/build-once.ts')).href)};
const [log, go, failFirst, ...targets] = process.argv.slice(2);
for (const target of targets) {
  await buildOnce(target, async (staged) => {
    const first = !existsSync(log);
    appendFileSync(log, process.pid + '\\n');
    while (!existsSync(go)) await new Promise((r) => setTimeout(r, 20));
    if (failFirst === '1' && first) throw new Error('migration failed');
    writeFileSync(staged, 'built by ' + process.pid);
  }, { pollMs: 20 });
  process.stdout.write(readFileSync(target, 'utf8'));
}
`,
  );
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Caller {
  proc: ChildProcess;
  done: Promise<{ code: number | null; stdout: string; stderr: string; pid: number | undefined }>;
}

function caller(targets: string[], log: string, go: string, failFirst = false): Caller {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', child, log, go, failFirst ? '1' : '0', ...targets],
    {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string; pid: number | undefined }>(
    (resolve) => proc.on('close', (code) => resolve({ code, stdout, stderr, pid: proc.pid })),
  );
  return { proc, done };
}

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : []);

function paths(name: string) {
  return {
    target: join(dir, name, 'airflow.db'),
    log: join(dir, `${name}.builds`),
    go: join(dir, `${name}.go`),
  };
}

describe('buildOnce across processes', () => {
  it('two concurrent callers: exactly one builds, the other waits for its file', async () => {
    const { target, log, go } = paths('two');
    const a = caller([target], log, go);
    const b = caller([target], log, go);
    await until('a build to start', () => lines(log).length === 1);
    // Both processes are up (the second has had time to reach the lock) while the build runs.
    await new Promise((r) => setTimeout(r, 500));
    expect(a.proc.exitCode).toBeNull();
    expect(b.proc.exitCode).toBeNull();
    expect(existsSync(`${target}.lock`)).toBe(true);
    writeFileSync(go, '');
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect([ra.code, rb.code, ra.stderr, rb.stderr]).toEqual([0, 0, '', '']);
    const builds = lines(log);
    expect(builds).toHaveLength(1);
    expect(ra.stdout).toBe(`built by ${builds[0]}`);
    expect(rb.stdout).toBe(ra.stdout);
    expect(readFileSync(target, 'utf8')).toBe(ra.stdout);
    expect(existsSync(`${target}.lock`)).toBe(false);
  });

  it('a lock left by a dead process, or by a pid now reused, is taken over', async () => {
    const stale = {
      // Its process has exited.
      dead: { pid: await deadPid(), start: null, nonce: 'dead' },
      // A live pid (this test's) whose start time is not the lock owner's: a reused pid.
      reused: { pid: process.pid, start: '1', nonce: 'reused' },
    };
    const { log, go } = paths('stale');
    const targets = Object.entries(stale).map(([name, owner]) => {
      const { target } = paths(name);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(`${target}.lock`, JSON.stringify(owner));
      return target;
    });
    writeFileSync(go, '');
    const r = await caller(targets, log, go).done;
    expect([r.code, r.stderr]).toEqual([0, '']);
    // One build per target, both by the caller.
    expect(lines(log)).toHaveLength(2);
    expect(r.stdout).toBe(`built by ${r.pid}`.repeat(2));
    for (const target of targets) expect(existsSync(`${target}.lock`)).toBe(false);
  });

  it('a failed build releases the lock: the waiting caller builds, the failed one reports it', async () => {
    const { target, log, go } = paths('fail');
    const a = caller([target], log, go, true);
    const b = caller([target], log, go, true);
    await until('a build to start', () => lines(log).length === 1);
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(go, '');
    const results = await Promise.all([a.done, b.done]);
    const builds = lines(log);
    expect(builds).toHaveLength(2);
    expect(new Set(builds).size).toBe(2);
    const failed = results.filter((r) => r.code !== 0);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.stderr).toContain('migration failed');
    expect(results.find((r) => r.code === 0)?.stdout).toBe(`built by ${builds[1]}`);
    expect(existsSync(`${target}.lock`)).toBe(false);
  });
});

async function deadPid(): Promise<number> {
  const proc = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((r) => proc.on('close', r));
  return proc.pid as number;
}
