import { open, unlink } from 'node:fs/promises';
import { TargetError } from '../shared/errors.js';
import { isNotFound, readTextIfExists } from '../shared/fs-errors.js';

/**
 * A cross-process lock file (`open(..., 'wx')` is atomic): only one process at a time
 * compares and swaps the local manifest. A lock left by a killed process (its pid is gone)
 * is taken over, so a crash never blocks the next apply. A lock file that cannot be created,
 * read or removed (permissions, I/O) is reported as such: it is never taken for "no lock" or
 * for "held by another process".
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
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw lockError('create', path, err);
      if (await holderIsGone(path)) {
        await removeLock(path);
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
    // A lock we cannot remove would hold up every later apply while this process lives.
    await removeLock(path);
  }
}

/** Deletes the lock file; already gone (another process took a stale one over) is fine. */
async function removeLock(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (!isNotFound(err)) throw lockError('remove', path, err);
  }
}

async function holderIsGone(path: string): Promise<boolean> {
  let text: string | null;
  try {
    text = await readTextIfExists(path);
  } catch (err) {
    throw lockError('read', path, err);
  }
  const pid = Number(text);
  // Gone since our open: try again. Empty: a holder that has not written its pid yet, wait for it.
  if (text === null || text === '' || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    // ESRCH: no such process. EPERM: it exists (another user's), so it still holds the lock.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function lockError(op: 'create' | 'read' | 'remove', path: string, err: unknown): TargetError {
  const code = (err as NodeJS.ErrnoException).code ?? 'io error';
  return new TargetError(`cannot ${op} the manifest lock ${path}: ${code}`, path, {
    code: 'io',
    hint: 'the target must be a folder we can read and write; check its permissions and free space',
    cause: err,
  });
}
