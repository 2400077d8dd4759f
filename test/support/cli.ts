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

/**
 * Node flags for a short-lived child process in a test (a `backtestctl apply` that ends
 * within a second, a crash-test child): without V8's optimizing compiler, whose background
 * compiles of start-up code cost ~0.1 CPU-s (~18%) of a CLI run that finishes before the
 * optimized code pays off. The same code runs with the same results, only not optimized. Not
 * for long-running processes (`serve`), which keep the default.
 */
export const SHORT_RUN_FLAGS = ['--no-opt'] as const;

/** `cliArgs` for a short-lived `backtestctl` run: `SHORT_RUN_FLAGS` first. */
export function shortCliArgs(...args: string[]): string[] {
  return [...SHORT_RUN_FLAGS, ...cliArgs(...args)];
}
