import { join } from 'node:path';
import { inject } from 'vitest';
import { TEST_BUILD_KEY } from './cli-build.js';

/** Where `file` (a path from the repository root, `.ts`) is compiled for this run (cli-build.ts). */
export function compiled(file: string): string {
  return join(inject(TEST_BUILD_KEY), file.replace(/\.ts$/, '.js'));
}

/** The argv (after `node`) that starts `backtestctl` with `args`: the CLI compiled once per run (cli-build.ts). */
export function cliArgs(...args: string[]): string[] {
  return [compiled('src/cli/main.ts'), ...args];
}
