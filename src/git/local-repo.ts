import { GitRunner } from './git-runner.js';
import { GitTreeReader } from './tree-reader.js';

/** A reader over an existing local clone (for `backtestctl pr check --repo DIR`). */
export function openLocalRepo(dir: string, childEnv: Record<string, string>): GitTreeReader {
  return new GitTreeReader(new GitRunner(dir, childEnv), (ref) => [ref, `refs/remotes/origin/${ref}`]);
}
