import { parseEnv } from '../shared/env.js';
import type { CliIo } from './io.js';

/**
 * Path (relative to `dir`) → the last commit that changed that file, from the folder's git
 * work tree; empty outside git. Uncommitted and modified files have no entry, so their runs
 * get no BACKTEST_COMMIT rather than a guess. git (simple-git) loads only when asked.
 */
export async function readRepoCommits(dir: string, io: CliIo): Promise<Map<string, string>> {
  const { readWorkTreeCommits } = await import('../git/local-repo.js');
  return readWorkTreeCommits(dir, parseEnv(io.env).childEnv);
}
