import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** Set by `npm run golden:update` only: a normal run never writes a golden file. */
export const UPDATING_GOLDEN = process.env.UPDATE_GOLDEN === '1';

/**
 * Compares `actual` with a checked-in golden file. A missing golden fails (deleting one must
 * not make its test pass); `npm run golden:update` rewrites them for review in the diff.
 */
export function expectGolden(file: URL, actual: string, update = UPDATING_GOLDEN): void {
  if (update) writeFileSync(file, actual);
  const path = fileURLToPath(file);
  if (!existsSync(file)) {
    throw new Error(`golden file ${path} is missing: run \`npm run golden:update\` and review the new file`);
  }
  expect(actual, `differs from ${path} (npm run golden:update rewrites it)`).toBe(readFileSync(file, 'utf8'));
}
