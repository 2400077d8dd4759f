import type { GitRemoteFixture } from './git-fixture.js';
import type { GitHubServer } from './server.js';

/**
 * Opens, pushes to and merges pull requests whose SHAs come from a real git remote, keeping
 * the fake GitHub (pulls, refs/pull/N/head, merge commits) consistent with it.
 */
export class PullRequestFlow {
  private readonly branches = new Map<number, string>();

  constructor(
    readonly server: GitHubServer,
    readonly remote: GitRemoteFixture,
  ) {}

  /** Commits `files` on a new branch from the default branch, and opens a PR for it. */
  openPr(
    branch: string,
    files: Record<string, string | null>,
    opts: { title?: string; fork?: boolean } = {},
  ) {
    const base = this.remote.git(['rev-parse', this.server.state.defaultBranch]);
    const sha = this.remote.commit(files, { branch, from: this.server.state.defaultBranch });
    const pull = this.server.state.openPull({ headRef: branch, headSha: sha, baseSha: base, ...opts });
    this.remote.setPullHead(pull.number, sha);
    if (!opts.fork) this.remote.push(branch);
    this.branches.set(pull.number, branch);
    return { number: pull.number, sha };
  }

  /** Pushes one more commit to the PR's branch. */
  pushPr(number: number, files: Record<string, string | null>): string {
    const branch = this.branch(number);
    const sha = this.remote.commit(files, { branch });
    this.remote.setPullHead(number, sha);
    this.remote.push(branch);
    this.server.state.pushPull(number, sha);
    return sha;
  }

  /** Merges the PR with a merge commit on the default branch and returns the merge SHA. */
  mergePr(number: number): string {
    const sha = this.remote.merge(this.branch(number), `Merge pull request #${number}`);
    this.server.state.mergePull(number, sha);
    return sha;
  }

  private branch(number: number): string {
    const branch = this.branches.get(number);
    if (!branch) throw new Error(`PR #${number} was not opened through this flow`);
    return branch;
  }
}
