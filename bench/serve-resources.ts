/**
 * RSS and CPU of `backtestctl serve` (compiled JS, as in the image): idle, polling an
 * unchanged repository for 20 s (from the second reconcile after the first deploy; V8 gives
 * the first deploy's heap back during it, so its "RSS after" is the idle figure and its peak
 * still the first deploy's), and reconciling N configs (first deploy, then all changed),
 * into a local folder target from a local git remote. Prints figures; asserts nothing.
 *   npx tsx bench/serve-resources.ts [configs]
 * Without configs: 100 / 1,000 / 5,000 (BENCH_QUICK=1: 100 only).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitMany, manyConfigs } from '../test/controller/fixtures.js';
import { createGitRemote } from '../test/support/github-server/index.js';
import { benchSizes, buildCli } from './build-cli.js';

const SIZES = process.argv[2] ? [Number(process.argv[2])] : benchSizes();
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU seconds (user+system) and RSS bytes of a process, from /proc. */
function sample(pid: number): { cpu: number; rss: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[11]) + Number(fields[12])) / TICKS;
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpu, rss: rssKb * 1024 };
}

class Meter {
  private peak = 0;
  private timer: NodeJS.Timeout;
  private readonly start: { cpu: number; at: number };
  constructor(private readonly pid: number) {
    const s = sample(pid);
    this.start = { cpu: s.cpu, at: Date.now() };
    this.timer = setInterval(() => {
      this.peak = Math.max(this.peak, sample(pid).rss);
    }, 50);
  }
  stop() {
    clearInterval(this.timer);
    const s = sample(this.pid);
    const wall = (Date.now() - this.start.at) / 1000;
    const cpu = s.cpu - this.start.cpu;
    return { wall, cpu, cpuPct: (cpu / wall) * 100, peakRss: Math.max(this.peak, s.rss), rss: s.rss };
  }
}

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
const cliDir = mkdtempSync(join(tmpdir(), 'btg-bench-cli-'));
const main = buildCli(cliDir);

async function measureServe(count: number): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'btg-bench-serve-'));
  let child: ChildProcess | null = null;
  try {
    const remote = createGitRemote();
    commitMany(remote, manyConfigs(count, 5));
    remote.push('main');
    const config = join(root, 'controller.yaml');
    writeFileSync(
      config,
      [
        `repo: { url: ${JSON.stringify(remote.bareDir)} }`,
        `target: ${join(root, 'dags')}`,
        `cache_dir: ${join(root, 'cache')}`,
        'http: { port: 0, host: 127.0.0.1 }',
        'schedule: "*/5 * * * * *"',
        'drift: off',
      ].join('\n'),
    );
    const proc = spawn(process.execPath, [main, 'serve', '--config', config], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { PATH: process.env.PATH ?? '', HOME: root },
    });
    child = proc;
    const lines: Record<string, unknown>[] = [];
    let buf = '';
    proc.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      for (const p of parts) lines.push(JSON.parse(p) as Record<string, unknown>);
    });
    const waitFor = async (pred: (l: Record<string, unknown>) => boolean, from = 0) => {
      for (let i = 0; i < 6000; i++) {
        const hit = lines.slice(from).find(pred);
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('timed out');
    };
    const pid = proc.pid as number;

    const first = new Meter(pid);
    await waitFor((l) => l.msg === 'reconcile finished');
    const a = first.stop();

    // Settle on the schedule: two more reconciles, so the first deploy's garbage is collected
    // and the heap can shrink back (serve favours a small heap, src/cli/serve-memory.ts).
    await waitFor((l) => l.msg === 'reconcile finished', lines.length);
    await waitFor((l) => l.msg === 'reconcile finished', lines.length);
    const idle = new Meter(pid);
    await new Promise((r) => setTimeout(r, 20_000));
    const b = idle.stop();
    const polls = lines.filter((l) => l.msg === 'reconcile finished').length;

    await waitFor((l) => l.msg === 'reconcile finished', lines.length);
    const sha = commitMany(remote, manyConfigs(count, 10));
    remote.push('main');
    const changed = new Meter(pid);
    const from = lines.length;
    await waitFor((l) => l.msg === 'deployed' && l.commit === sha, from);
    await waitFor((l) => l.msg === 'reconcile finished', from);
    const c = changed.stop();
    const durations = lines.filter((l) => l.msg === 'reconcile finished').map((l) => Number(l.durationMs));

    console.log(`\nbacktestctl serve, ${count} configs, local folder target, node ${process.version}`);
    console.log('phase                                   wall      cpu     cpu%    peak RSS   RSS after');
    const row = (name: string, m: ReturnType<Meter['stop']>) =>
      console.log(
        `${name.padEnd(38)} ${`${m.wall.toFixed(1)} s`.padStart(7)} ${`${m.cpu.toFixed(2)} s`.padStart(8)} ${`${m.cpuPct.toFixed(1)}%`.padStart(7)} ${mb(m.peakRss).padStart(10)} ${mb(m.rss).padStart(10)}`,
      );
    row(`first deploy (${count} DAGs written)`, a);
    row('polling an unchanged repo (every 5 s)', b);
    row(`all ${count} configs changed`, c);
    console.log(
      `reconcile durations (ms): first ${durations[0]}, unchanged polls ~${durations.slice(1, -1).sort((x, y) => x - y)[Math.floor((durations.length - 2) / 2)]}, changed ${durations.at(-1)} (${polls} reconciles in all)`,
    );
    remote.cleanup();
  } finally {
    // Wait for serve to exit before removing its folders (it may still be writing).
    const exited = child && child.exitCode === null ? new Promise((r) => child?.once('exit', r)) : null;
    child?.kill('SIGTERM');
    if (exited) await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    rmSync(root, { recursive: true, force: true, maxRetries: 5 });
  }
}

try {
  for (const count of SIZES) await measureServe(count);
} finally {
  rmSync(cliDir, { recursive: true, force: true });
}
