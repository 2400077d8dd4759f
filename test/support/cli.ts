import { inject } from 'vitest';
import { TEST_BUILD_KEY } from './cli-build.js';

/** The argv (after `node`) that starts `backtestctl` with `args`: the CLI compiled once per run (cli-build.ts). */
export function cliArgs(...args: string[]): string[] {
  return [inject(TEST_BUILD_KEY), ...args];
}
