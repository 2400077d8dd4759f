import { randomBytes } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';

/**
 * Builds the file `target` once per machine, however many processes ask for it at once (test
 * files in parallel vitest workers on a clean clone): the first caller takes `target.lock`
 * (created exclusively, holding its pid) and runs `build(staged)`, which must write the file
 * `staged`; it is then renamed onto `target` (atomic) and the lock removed. Other callers poll
 * until `target` exists and return it. A lock whose owner died (its pid gone, or reused by a
 * later process) is taken over; a build that throws releases the lock, so the next caller
 * tries again. Self-contained (node: modules only), so a test can run it in separate processes.
 */
export async function buildOnce(
  target: string,
  build: (staged: string) => Promise<void>,
  opts: { pollMs?: number; timeoutMs?: number } = {},
): Promise<string> {
  const pollMs = opts.pollMs ?? 200;
  const deadline = Date.now() + (opts.timeoutMs ?? 540_000);
  const lock = `${target}.lock`;
  mkdirSync(dirname(target), { recursive: true });
  for (;;) {
    if (existsSync(target)) return target;
    const mine = tryLock(lock);
    if (mine) {
      try {
        // Another caller may have finished between the check above and taking the lock.
        if (existsSync(target)) return target;
        const staged = `${target}.${process.pid}.${mine.nonce}`;
        try {
          await build(staged);
          renameSync(staged, target);
        } finally {
          rmSync(staged, { force: true });
        }
        return target;
      } finally {
        releaseLock(lock, mine);
      }
    }
    const owner = readOwner(lock);
    if (owner ? !isAlive(owner) : isAbandoned(lock)) {
      takeOver(lock, owner?.nonce ?? null);
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`waited too long for ${target}: ${lock} is held by pid ${owner?.pid ?? '?'}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

interface Owner {
  pid: number;
  /** The process's start time (field 22 of /proc/PID/stat), so a reused pid is not taken for it. */
  start: string | null;
  nonce: string;
}

function tryLock(lock: string): Owner | null {
  const owner: Owner = {
    pid: process.pid,
    start: startTime(process.pid),
    nonce: randomBytes(6).toString('hex'),
  };
  try {
    writeFileSync(lock, JSON.stringify(owner), { flag: 'wx' });
    return owner;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw err;
  }
}

function releaseLock(lock: string, mine: Owner): void {
  // Only our own lock (a waiter that wrongly judged us dead may have replaced it).
  if (readOwner(lock)?.nonce === mine.nonce) rmSync(lock, { force: true });
}

function readOwner(lock: string): Owner | null {
  try {
    return JSON.parse(readFileSync(lock, 'utf8')) as Owner;
  } catch {
    // Gone, or being written right now (the exclusive create and the write are two steps):
    // the next poll sees it whole.
    return null;
  }
}

function isAlive(owner: Owner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = startTime(owner.pid);
  return owner.start === null || start === null || start === owner.start;
}

/** A lock file that stayed unreadable (its owner died between creating and writing it). */
function isAbandoned(lock: string): boolean {
  try {
    return Date.now() - statSync(lock).mtimeMs > 10_000;
  } catch {
    return false; // gone: the next try takes it
  }
}

function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/**
 * Removes a dead owner's lock. Several waiters may see it dead at once: each moves the lock
 * aside under its own name (atomic) and checks it moved the dead owner's lock; one that moved
 * a newer lock instead (a faster waiter already took over) puts it back with link(), which
 * never overwrites.
 */
function takeOver(lock: string, deadNonce: string | null): void {
  const aside = `${lock}.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    renameSync(lock, aside);
  } catch {
    return; // already gone
  }
  try {
    const moved = readOwner(aside);
    if (moved && moved.nonce !== deadNonce) {
      try {
        linkSync(aside, lock);
      } catch {
        // A lock exists again; its owner builds.
      }
    }
  } finally {
    rmSync(aside, { force: true });
  }
}
