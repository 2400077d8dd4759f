/**
 * Validation time of adversarial config files just under the 256 KiB limit, one shape per
 * line: many keys, many issues, aliases, long lines, many strategies. Validation is meant
 * to be linear in the file size, so every shape should take well under a second in
 * process. A figure, not a test (tests never assert wall-clock time):
 *   npx tsx bench/config-adversarial.ts
 */
import { performance } from 'node:perf_hooks';
import { loadConfigRepo, MAX_CONFIG_FILE_BYTES } from '../src/config/index.js';

const BASE = 'strategy_class: S\nstart_date: 2022-01-01\nend_date: 2022-12-31\n';
let LIMIT = MAX_CONFIG_FILE_BYTES - 64;

/** Repeats `line(i)` while the text stays under the limit. */
function fill(head: string, line: (i: number) => string, tail = ''): string {
  const parts = [head];
  let size = Buffer.byteLength(head) + Buffer.byteLength(tail);
  for (let i = 0; ; i += 1) {
    const next = line(i);
    size += Buffer.byteLength(next);
    if (size > LIMIT) break;
    parts.push(next);
  }
  parts.push(tail);
  return parts.join('');
}

export const SHAPES: Record<string, () => string> = {
  'many params (valid)': () => fill(`${BASE}params:\n`, (i) => `  p${i}: ${i}\n`),
  'many params + many unknown grid keys': () => {
    const half = fill(`${BASE}params:\n`, (i) => `  p${i}: ${i}\n`).length / 2;
    let text = `${BASE}params:\n`;
    let i = 0;
    while (text.length < half) text += `  p${i++}: ${i}\n`;
    text += 'param_grid:\n';
    return fill(text, (j) => `  q${j}: [1]\n`);
  },
  'many params + grid over all of them': () => {
    let text = `${BASE}params:\n`;
    for (let i = 0; i < 4000; i += 1) text += `  p${i}: ${i}\n`;
    return fill(`${text}param_grid:\n`, (j) => `  p${j}: [1]\n`);
  },
  'many unknown top-level keys': () => fill(BASE, (i) => `stop_los_pct_${i}: 1\n`),
  'many wrong values': () => fill(`${BASE}param_grid:\n  take_profit_pct: [`, (i) => `x${i}, `, 'x]\n'),
  'many strategies (over the ceiling)': () =>
    fill(`${BASE}strategies:\n`, (i) => `  - {name: s${i}, take_profit_pct: 1}\n`),
  'many duplicate keys': () => fill(`${BASE}params:\n`, (i) => `  p${i % 2}: ${i}\n`),
  'many secret keys': () => fill(`${BASE}params:\n`, (i) => `  password_${i}: x\n`),
  'many anchors and aliases': () =>
    fill(`${BASE}params:\n`, (i) => `  a${i}: &x${i} [${i}]\n  b${i}: *x${i}\n`),
  'alias budget exhausted': () => fill(`${BASE}params:\n  a: &a [1, 2]\n`, (i) => `  b${i}: *a\n`),
  'one long line (flow map)': () => fill(`${BASE}params: {`, (i) => `p${i}: ${i}, `, 'z: 0}\n'),
  'one long string': () => `${BASE}description: "${'x'.repeat(LIMIT - BASE.length - 20)}"\n`,
  'one long grid list': () => fill(`${BASE}param_grid:\n  take_profit_pct: [`, (i) => `${i + 1}, `, '1]\n'),
  'deep nesting, repeated': () =>
    fill(`${BASE}params:\n`, (i) => `  d${i}: ${'['.repeat(30)}1${']'.repeat(30)}\n`),
  'many floats and nested maps': () => fill(`${BASE}params:\n`, (i) => `  m${i}: {${i}: 1.0, a: -0.0}\n`),
};

/** The shape at `bytes` (at most): its text. */
export function shapeText(name: string, bytes: number): string {
  LIMIT = bytes;
  try {
    return (SHAPES[name] as () => string)();
  } finally {
    LIMIT = MAX_CONFIG_FILE_BYTES - 64;
  }
}

/**
 * Best of three, as wall time and as this process's CPU time: on a shared machine the
 * wall time also counts other processes, the CPU time is what validation itself costs.
 */
function timeOf(text: string): { wall: number; cpu: number; issues: number } {
  const files = new Map([['backtests/x.yaml', text]]);
  let wall = Number.POSITIVE_INFINITY;
  let cpu = Number.POSITIVE_INFINITY;
  let issues = 0;
  for (let round = 0; round < 3; round += 1) {
    const startCpu = process.cpuUsage();
    const start = performance.now();
    issues = loadConfigRepo(files).issues.length;
    wall = Math.min(wall, performance.now() - start);
    const used = process.cpuUsage(startCpu);
    cpu = Math.min(cpu, (used.user + used.system) / 1000);
  }
  return { wall, cpu, issues };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  loadConfigRepo(new Map([['backtests/x.yaml', BASE]])); // warm-up
  console.log('shape (256 KiB)                          wall ms  cpu ms  cpu ms at 64 KiB x4  issues');
  for (const name of Object.keys(SHAPES)) {
    const full = timeOf(shapeText(name, MAX_CONFIG_FILE_BYTES - 64));
    const quarter = timeOf(shapeText(name, MAX_CONFIG_FILE_BYTES / 4));
    console.log(
      `${name.padEnd(40)} ${full.wall.toFixed(0).padStart(7)} ${full.cpu.toFixed(0).padStart(7)} ${(quarter.cpu * 4).toFixed(0).padStart(20)}  ${full.issues}`,
    );
  }
}
