import { execFileSync } from 'node:child_process';
import { cpSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../test/support/python.js';

/**
 * Compiles src/ the way the image does (tsc + the template assets) into a fresh folder next
 * to a link to node_modules, so benchmarks time `node <dir>/dist/cli/main.js`, the process a
 * user runs, without touching the project's own dist/. The caller removes `root`.
 * Returns the path of main.js.
 */
export function buildCli(root: string): string {
  const dist = join(root, 'dist');
  try {
    execFileSync('npx', ['tsc', '-p', join(projectRoot, 'tsconfig.build.json'), '--outDir', dist], {
      cwd: projectRoot,
      stdio: 'ignore',
    });
  } catch {
    // tsc still emits when another part of the tree has a type error; main.js decides below.
  }
  cpSync(join(projectRoot, 'src/render/templates'), join(dist, 'render/templates'), { recursive: true });
  try {
    symlinkSync(join(projectRoot, 'node_modules'), join(root, 'node_modules'));
  } catch {
    // already linked
  }
  const main = join(dist, 'cli/main.js');
  execFileSync(process.execPath, [main, '--version'], { stdio: 'ignore' });
  return main;
}

/** N = configs for the scaling benchmarks: 100 / 1,000 / 5,000, or only 100 with BENCH_QUICK=1. */
export function benchSizes(env: NodeJS.ProcessEnv = process.env): number[] {
  if (env.BENCH_SIZES) return env.BENCH_SIZES.split(',').map(Number);
  return env.BENCH_QUICK === '1' ? [100] : [100, 1000, 5000];
}
