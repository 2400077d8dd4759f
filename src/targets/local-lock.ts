import { open, readFile, unlink } from 'node:fs/promises';
import { TargetError } from '../shared/errors.js';

/**
 * A cross-process lock file (`open(..., 'wx')` is atomic): only one process at a time
 * compares and swaps the local manifest. A lock left by a killed process (its pid is gone)
 * is taken over, so a crash never blocks the next apply.
 */
export async function withLockFile<T>(path: string, fn: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await holderIsGone(path)) {
        await unlink(path).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) {
        throw new TargetError(`the manifest lock ${path} is held by another process`, path, {
          code: 'locked',
          hint: 'another apply is running against this folder; wait for it, or delete the lock file if it is stale',
        });
      }
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}

async function holderIsGone(path: string): Promise<boolean> {
  const text = await readFile(path, 'utf8').catch(() => null);
  const pid = Number(text);
  // An empty file is a holder that has not written its pid yet: wait for it.
  if (text === null || text === '' || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
