import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TargetError } from '../shared/errors.js';
import { withLockFile } from './local-lock.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'btg-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('withLockFile', () => {
  it('runs the function under the lock and removes the lock afterwards', async () => {
    const lock = join(dir, 'manifest.json.lock');
    expect(await withLockFile(lock, async () => 'done')).toBe('done');
    // Free again: a second holder gets it at once.
    expect(await withLockFile(lock, async () => 'again', 100)).toBe('again');
  });

  it('takes over a lock whose holder is gone', async () => {
    const lock = join(dir, 'manifest.json.lock');
    writeFileSync(lock, '2147483646'); // a pid no process has
    expect(await withLockFile(lock, async () => 'taken over', 1_000)).toBe('taken over');
  });

  it('reports a lock file it cannot read as an I/O error, not as a lock held by another process', async () => {
    const lock = join(dir, 'manifest.json.lock');
    mkdirSync(lock); // exists (so not ours to create) and cannot be read as a file
    const attempt = withLockFile(lock, async () => 'never', 60_000);
    await expect(attempt).rejects.toBeInstanceOf(TargetError);
    await expect(attempt).rejects.toMatchObject({
      code: 'io',
      message: `cannot read the manifest lock ${lock}: EISDIR`,
    });
  });

  it('reports a lock file it cannot create (no such folder) as an I/O error', async () => {
    const lock = join(dir, 'missing-folder', 'manifest.json.lock');
    await expect(withLockFile(lock, async () => 'never')).rejects.toMatchObject({
      code: 'io',
      message: `cannot create the manifest lock ${lock}: ENOENT`,
    });
  });
});
