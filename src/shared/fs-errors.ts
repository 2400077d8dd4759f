import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

/**
 * The file-system errors that mean "nothing is there": the path does not exist (ENOENT), or
 * a component of it is a file, not a folder (ENOTDIR). Anything else (permission denied, an
 * I/O error, too many open files) is a real failure and must not be read as "absent".
 */
export function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** `stat`, or null when nothing is at `path`; other failures are thrown. */
export async function statIfExists(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/** A UTF-8 file's text, or null when nothing is at `path`; other failures are thrown. */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}
