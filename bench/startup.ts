/**
 * Start-up cost of the built CLI as a user runs it (`node dist/cli/main.js ...`, a fresh
 * process each time): `--version`, `validate` of examples/, and `node -e 0` for scale.
 * Prints median and best wall time of several runs, the median CPU time (user + system, what
 * the process itself spent: the figure that moves least on a busy machine), and how many
 * modules each run loads (counted by a module loader hook), so a new eager import of the
 * AWS SDK or Octokit shows.
 *
 *   npm run build && npx tsx bench/startup.ts     # target: --version and validate <= 300 ms
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const main = join(root, 'dist/cli/main.js');
const RUNS = Number(process.env.STARTUP_RUNS ?? 15);

if (!existsSync(main)) {
  if (spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);
}

// A loader hook that counts every module the process loads (ours, dependencies, node: built-ins).
const hook = join(tmpdir(), 'btg-startup-count.mjs');
await writeFile(
  hook,
  `import { register } from 'node:module';
import { writeSync } from 'node:fs';
const { port1, port2 } = new MessageChannel();
const seen = new Set();
port1.on('message', (url) => seen.add(url));
port1.unref();
process.on('exit', () => writeSync(2, '\\nMODULES ' + seen.size + ' ' + [...seen].filter((u) => u.includes('node_modules')).map((u) => u.split('node_modules/')[1].split('/').slice(0, u.split('node_modules/')[1].startsWith('@') ? 2 : 1).join('/')).filter((v, i, a) => a.indexOf(v) === i).sort().join(',') + '\\n'));
register('data:text/javascript,' + encodeURIComponent(\`
let port;
export function initialize(data) { port = data.port; }
export async function load(url, context, next) { port.postMessage(url); return next(url, context); }
\`), { data: { port: port2 }, transferList: [port2] });
`,
);

// Prints the process's own CPU time when it exits.
const cpuHook = join(tmpdir(), 'btg-startup-cpu.mjs');
await writeFile(
  cpuHook,
  `import { writeSync } from 'node:fs';
process.on('exit', () => { const u = process.cpuUsage(); writeSync(2, '\\nCPU ' + (u.user + u.system) / 1000 + '\\n'); });
`,
);

function cpuOnce(args: string[]): number {
  const r = spawnSync(process.execPath, ['--import', cpuHook, ...args], { cwd: root, encoding: 'utf8' });
  const line = r.stderr.split('\n').find((l) => l.startsWith('CPU ')) ?? 'CPU NaN';
  return Number(line.slice(4));
}

interface Case {
  name: string;
  args: string[];
}
const cases: Case[] = [
  { name: 'node -e 0 (Node itself)', args: ['-e', '0'] },
  { name: 'backtestctl --version', args: [main, '--version'] },
  { name: 'backtestctl validate examples', args: [main, 'validate', '--repo', join(root, 'examples')] },
  { name: 'backtestctl --help', args: [main, '--help'] },
];

function timeOnce(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function modulesLoaded(args: string[]): { count: number; packages: string } {
  const r = spawnSync(process.execPath, ['--import', hook, ...args], { cwd: root, encoding: 'utf8' });
  const line = r.stderr.split('\n').find((l) => l.startsWith('MODULES ')) ?? 'MODULES 0 ';
  const [, count, packages] = line.split(' ');
  return { count: Number(count), packages: packages ?? '' };
}

console.log(`Node ${process.version}, ${RUNS} runs each, wall time of a fresh process (ms)`);
console.log(
  `${'command'.padEnd(32)} ${'median'.padStart(7)} ${'best'.padStart(7)} ${'CPU'.padStart(7)} ${'modules'.padStart(8)}  packages`,
);
for (const c of cases) {
  timeOnce(c.args); // warm the file cache
  const times = Array.from({ length: RUNS }, () => timeOnce(c.args)).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] as number;
  const best = times[0] as number;
  const cpu = Array.from({ length: RUNS }, () => cpuOnce(c.args)).sort((a, b) => a - b);
  const cpuMedian = cpu[Math.floor(cpu.length / 2)] as number;
  const mods = c.args[0] === '-e' ? { count: 0, packages: '' } : modulesLoaded(c.args);
  console.log(
    `${c.name.padEnd(32)} ${median.toFixed(0).padStart(7)} ${best.toFixed(0).padStart(7)} ${cpuMedian.toFixed(0).padStart(7)} ${String(mods.count).padStart(8)}  ${mods.packages || '-'}`,
  );
}
console.log(
  'Target: --version and validate of examples/ in <= 300 ms; no @aws-sdk, @octokit or @smithy package above.',
);
