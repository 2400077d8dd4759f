import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { TargetError } from '../shared/errors.js';
import { MAX_METRICS_BYTES, type ResultsStore } from './results-store.js';

/** A folder of results with the bucket's layout (what `backtestctl results --from DIR` reads). */
export class LocalResultsStore implements ResultsStore {
  constructor(readonly location: string) {}

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw new TargetError(`cannot list ${dir}: ${(err as Error).message}`, dir, { cause: err });
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile()) keys.push(relative(this.location, path).split(sep).join('/'));
      }
    };
    await walk(this.location);
    return keys.filter((k) => k.startsWith(prefix)).sort();
  }

  async read(key: string): Promise<string | null> {
    const path = join(this.location, key);
    try {
      if ((await stat(path)).size > MAX_METRICS_BYTES) return `{"too_large": ${MAX_METRICS_BYTES}}`;
      return await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new TargetError(`cannot read ${path}: ${(err as Error).message}`, path, { cause: err });
    }
  }

  async write(key: string, text: string): Promise<void> {
    const path = join(this.location, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
}
