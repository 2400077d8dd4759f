import { open, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import pLimit from 'p-limit';
import { decodeConfigBytes, MAX_CONFIG_FILE_BYTES, SETTINGS_FILE } from '../config/index.js';

const SKIPPED_DIRS = new Set(['.git', 'node_modules']);
/** YAML files, plus names a config could be mistaken under (.YAML, .json), which loadConfigRepo notes. */
const YAML_FILE = /\.(ya?ml|json)$/i;
/** Files read at once: enough to overlap the file system's latency, few enough for any ulimit. */
const PARALLEL_READS = 32;

/**
 * Reads the candidate files of a config repository: every `*.yaml` / `*.yml` under `dir`
 * (skipping .git and node_modules) plus backtest-gitops.yaml, keyed by forward-slash path
 * relative to `dir`, ready for loadConfigRepo (which picks configs by its include globs).
 *
 * A file is never read past MAX_CONFIG_FILE_BYTES + 1 bytes: an oversized file arrives
 * truncated but still over the limit, so loadConfigRepo reports `file-too-large` for it
 * without us holding a huge file in memory. Bytes that are not UTF-8 arrive marked (see
 * decodeConfigBytes), which loadConfigRepo reports as `invalid-encoding`. Symbolic links are not followed: a
 * link could point outside the repository and echo other files into PR comments.
 */
export async function readConfigDir(dir: string, listed?: readonly string[]): Promise<Map<string, string>> {
  // `listed`: listConfigFiles(dir) when the caller already has it (no second walk of the folder).
  const paths = listed ?? (await listConfigFiles(dir));
  const limit = pLimit(PARALLEL_READS);
  const texts = await Promise.all(paths.map((path) => limit(() => readBounded(join(dir, path)))));
  // Keyed in sorted path order, whatever order the reads finished in.
  return new Map(paths.map((path, i) => [path, texts[i] ?? '']));
}

/** The files readConfigDir reads, as sorted forward-slash paths relative to `dir`; nothing is read. */
export async function listConfigFiles(dir: string): Promise<string[]> {
  return (await listYamlFiles(dir)).map((path) => relative(dir, path).split(sep).join('/')).sort();
}

/**
 * Whether readConfigDir would read a regular file at this forward-slash relative path: the
 * same rule as its walk, for paths from elsewhere (the files git tracks).
 */
export function isConfigFilePath(path: string): boolean {
  const parts = path.split('/');
  const name = parts.pop() ?? '';
  return !parts.some((dir) => SKIPPED_DIRS.has(dir)) && isConfigFileName(name);
}

const isConfigFileName = (name: string) => YAML_FILE.test(name) || name === SETTINGS_FILE;

async function listYamlFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) found.push(...(await listYamlFiles(path)));
    else if (entry.isFile() && isConfigFileName(entry.name)) found.push(path);
  }
  return found;
}

async function readBounded(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    // Sized from the file (a config is a few KB), never past the limit + 1; a file that grows
    // while we read is still cut there.
    const { size } = await handle.stat();
    const buffer = Buffer.allocUnsafe(Math.min(size, MAX_CONFIG_FILE_BYTES) + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    // Keeps a byte-order mark in the text, so hashing the text gives the file's bytes.
    return decodeConfigBytes(buffer.subarray(0, filled));
  } finally {
    await handle.close();
  }
}
