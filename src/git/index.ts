export type { GitAuth } from './git-auth.js';
export { gitAuthEnv } from './git-auth.js';
export { GitRepoCache, type GitRepoCacheOptions } from './git-repo-cache.js';
export { GitRunner } from './git-runner.js';
export { openLocalRepo, readWorkTree, readWorkTreeCommits, type WorkTreeFacts } from './local-repo.js';
export { type ConfigRepoReader, GitTreeReader, MergeConflictError } from './tree-reader.js';
