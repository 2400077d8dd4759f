export type { GitAuth } from './git-auth.js';
export { gitAuthEnv } from './git-auth.js';
export { GitRepoCache, type GitRepoCacheOptions } from './git-repo-cache.js';
export { GitRunner } from './git-runner.js';
export {
  openLocalRepo,
  readWorkTree,
  readWorkTreeCommits,
  readWorkTreeSnapshot,
  type WorkTreeFacts,
  type WorkTreeSnapshot,
} from './local-repo.js';
export { type ConfigRepoReader, GitTreeReader, MergeConflictError } from './tree-reader.js';
