import { spawn } from 'node:child_process';
import { type SimpleGit, simpleGit } from 'simple-git';
import { GitError } from '../shared/errors.js';
import { redact } from '../shared/redact.js';

/**
 * Runs git in one repository directory with a fixed environment (credentials included),
 * turning failures into GitErrors whose messages never contain the secrets.
 */
export class GitRunner {
  private client: SimpleGit | null = null;

  constructor(
    readonly dir: string,
    /** What git inherits from the process (`EnvOptions.childEnv`: PATH, HOME, proxies, ...). */
    private readonly childEnv: Record<string, string>,
    /** Variables set for git on purpose (credentials, GIT_CONFIG_*), from trusted config. */
    private readonly env: Record<string, string> = {},
    private readonly secrets: readonly string[] = [],
  ) {}

  /**
   * One operation through simple-git's own API (init, remotes, config, fetch, ls-remote,
   * rev-parse), with failures translated like `run`'s.
   */
  async use<T>(what: string, operation: (git: SimpleGit) => Promise<T>): Promise<T> {
    try {
      return await operation(this.git());
    } catch (err) {
      throw this.error(`git ${what} failed`, err);
    }
  }

  /**
   * Runs `git <args>` and returns stdout: simple-git's `raw()`, the named exception for the
   * plumbing its API does not cover (ls-tree -z, merge-tree --write-tree, merge-base,
   * cat-file -e, fsck, diff -z). `runWithInput` is the other: the `cat-file --batch` stream.
   */
  async run(args: string[]): Promise<string> {
    try {
      return await this.git().raw(args);
    } catch (err) {
      throw this.error(`git ${args[0]} failed`, err);
    }
  }

  /**
   * Runs `git <args>` as a question: its stdout, or null when git answers no (a GitError:
   * non-zero exit, e.g. an unknown ref, not an ancestor, no such remote). Anything else throws.
   */
  async ask(args: string[]): Promise<string | null> {
    try {
      return await this.run(args);
    } catch (err) {
      if (err instanceof GitError) return null;
      throw err;
    }
  }

  /** Runs git with `input` on stdin and returns stdout as bytes (for `cat-file --batch`). */
  runWithInput(args: string[], input: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', args, {
        cwd: this.dir,
        env: { ...this.childEnv, ...this.env },
        stdio: 'pipe',
      });
      const out: Buffer[] = [];
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
      });
      child.on('error', (err) => reject(this.error(`git ${args[0]} failed`, err)));
      child.on('close', (code) => {
        if (code === 0) resolve(Buffer.concat(out));
        else reject(this.error(`git ${args[0]} failed`, new Error(stderr.trim() || `exit code ${code}`)));
      });
      // git may exit before reading all of its input (not a repository, a bad argument): the
      // write then fails with EPIPE. catch-all: that failure is not the error to report; the
      // exit code and stderr in 'close' are, so it is dropped here rather than crash the process.
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    });
  }

  // Created on first use: simple-git refuses a directory that does not exist yet.
  private git(): SimpleGit {
    this.client ??= simpleGit({
      baseDir: this.dir,
      // simple-git strips GIT_* variables unless named; these are the ones we set on purpose.
      allowEnvironment: Object.keys(this.env),
      // We set GIT_CONFIG_* (the token header) and GIT_SSH_COMMAND ourselves, from trusted config.
      unsafe: { allowUnsafeSshCommand: true, allowUnsafeConfigEnvCount: true },
    } as Parameters<typeof simpleGit>[0]).env({ ...this.childEnv, ...this.env });
    return this.client;
  }

  /** A GitError with the cause's text redacted (tokens, Authorization headers, URL userinfo). */
  error(what: string, cause: unknown, hint?: string): GitError {
    const detail = redact(cause instanceof Error ? cause.message : String(cause), this.secrets).trim();
    return new GitError(`${what}: ${detail}`, hint);
  }
}
