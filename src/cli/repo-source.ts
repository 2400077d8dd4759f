import { readWorkTreeCommits, readWorkTreeSnapshot } from '../git/local-repo.js';
import { gitSourceDigest, type RenderDigestInput, renderDigest } from '../pipeline/render-digest.js';
import { UsageError } from '../shared/errors.js';
import { isConfigFilePath, listConfigFiles, readConfigDir } from './read-config-dir.js';

/** The config repository's files and each file's last commit, as the render reads them. */
export interface RepoInputs {
  files: Map<string, string>;
  commits: Map<string, string>;
}

/** The no-op check's digest of a config folder, and how to get the render's inputs when it does not match. */
export interface RepoSource {
  /** `git`: named by the committed tree (nothing was read); `files`: by every file's bytes. */
  form: 'git' | 'files';
  /** The render digest of this folder under these settings (renderDigest or gitSourceDigest). */
  digest(settings: DigestSettings): string;
  /** The files and last commits (read once: already read in the `files` form). */
  inputs(): Promise<RepoInputs>;
}

type DigestSettings = Pick<RenderDigestInput, 'environment' | 'owner'>;

/**
 * How the config folder `dir` is named for the no-op check, as cheaply as it can be said exactly.
 *
 * A clean git work tree (no tracked file differs from HEAD, the folder holds no config git
 * does not track, no checkout conversion) is named by git's ids: the folder's tree and its
 * newest change, so nothing is read or hashed and no history is walked (O(1) in the number
 * of configs). Anything else — a dirty or partly untracked tree, a folder outside git —
 * hashes every file with each one's last commit (`renderDigest`), as the render reads them.
 * Either way the digest changes whenever the render would.
 */
export async function readRepoSource(
  dir: string,
  childEnv: Record<string, string>,
  displayDir: string,
): Promise<RepoSource> {
  const readInputs = async (listed: readonly string[] | null): Promise<RepoInputs> => {
    const [files, commits] = await Promise.all([
      readConfigDir(dir, listed ?? undefined).catch((err: Error) => {
        throw new UsageError(
          `cannot read the config repository ${displayDir}: ${err.message}`,
          'pass the repo root with --repo DIR',
        );
      }),
      readWorkTreeCommits(dir, childEnv),
    ]);
    return { files, commits };
  };
  // The listing is in-process and quick: git checks the listed files' attributes alongside
  // its other questions rather than after them.
  // catch-all: a listing that fails only rules out the git fast path; the full read reports the error.
  const listing = listConfigFiles(dir).catch(() => null);
  const [snapshot, listed] = await Promise.all([readWorkTreeSnapshot(dir, childEnv, listing), listing]);
  if (snapshot && listed && sameFiles(listed, snapshot.tracked.filter(isConfigFilePath))) {
    let read: Promise<RepoInputs> | null = null;
    return {
      form: 'git',
      digest: (settings) => gitSourceDigest({ ...settings, git: snapshot }),
      inputs: () => {
        read ??= readInputs(listed);
        return read;
      },
    };
  }
  const inputs = await readInputs(listed);
  return {
    form: 'files',
    digest: (settings) => renderDigest({ ...settings, ...inputs }),
    inputs: async () => inputs,
  };
}

/** Both sorted: the folder holds exactly the config files git tracks (none untracked or ignored). */
function sameFiles(listed: readonly string[], tracked: readonly string[]): boolean {
  if (listed.length !== tracked.length) return false;
  const sorted = [...tracked].sort();
  return listed.every((path, i) => path === sorted[i]);
}
