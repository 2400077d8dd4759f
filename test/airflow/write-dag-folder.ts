import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { DesiredFile } from '../../src/plan/types.js';

/** Writes rendered files into a fresh temp folder, the way a DAG folder would hold them. */
export async function writeDagFolder(files: DesiredFile[], label = 'dags'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `rendered-${label}-`));
  for (const file of files) {
    const path = join(dir, file.key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.content);
  }
  return dir;
}
