import { decodeConfigBytes } from '../config/index.js';
import { GitError } from '../shared/errors.js';

/** One entry of `git ls-tree -r -z`. */
export interface TreeEntry {
  mode: string;
  type: string;
  object: string;
  /** Blob size in bytes with `ls-tree -l`; null otherwise (and for trees). */
  size: number | null;
  path: string;
}

/** Parses `git ls-tree -r [-l] -z <tree>` output (NUL-terminated `mode type object [size]\tpath`). */
export function parseLsTree(output: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const record of output.split('\0')) {
    if (!record) continue;
    const tab = record.indexOf('\t');
    const [mode = '', type = '', object = '', size] = record.slice(0, tab).split(/ +/);
    const bytes = size === undefined || size === '-' ? null : Number(size);
    entries.push({ mode, type, object, size: bytes, path: record.slice(tab + 1) });
  }
  return entries;
}

/**
 * Parses `git cat-file --batch` output for the requested objects, in request order:
 * `<object> <type> <size>\n<size bytes>\n` per object, or `<object> missing\n`.
 */
export function parseCatFileBatch(output: Buffer, requested: readonly string[]): Map<string, string> {
  const blobs = new Map<string, string>();
  let pos = 0;
  for (const object of requested) {
    const eol = output.indexOf(0x0a, pos);
    if (eol < 0) throw new GitError(`git cat-file output ended early, before object ${object}`);
    const header = output.subarray(pos, eol).toString('utf8').split(' ');
    if (header[1] === 'missing' || header.length < 3) {
      throw new GitError(`object ${object} is missing from the repository cache`);
    }
    const size = Number(header[2]);
    const start = eol + 1;
    blobs.set(object, decodeConfigBytes(output.subarray(start, start + size)));
    pos = start + size + 1;
  }
  return blobs;
}

/**
 * Config files the loader reads: every YAML file (the loader applies `include` globs), and
 * JSON files, which it notes when they sit where configs do.
 */
export function isConfigPath(path: string): boolean {
  return /\.(ya?ml|json)$/i.test(path);
}
