import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { copyFile, link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { MANIFEST_KEY, parseManifest, serializeManifest } from '../plan/manifest.js';
import type { Manifest } from '../plan/types.js';
import { ManifestConflictError, TargetError } from '../shared/errors.js';
import type { DagStore, PutCondition, PutMeta, StoredObject } from './dag-store.js';
import { withLockFile } from './local-lock.js';

/** Sidecar next to the manifest holding the render digest (see headManifest). */
const DIGEST_SUFFIX = '.digest';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * A local folder (e.g. a local Airflow's DAG folder). Version tags are the sha256 of the
 * content. Every write goes to a temp file in the same folder and is renamed (or hard-linked,
 * for create-only) into place, so Airflow never parses a half-written file.
 */
export class LocalDirDagStore implements DagStore {
  readonly location: string;
  private readonly root: string;

  constructor(dir: string, location?: string) {
    this.root = resolve(dir);
    this.location = location ?? dir;
  }

  async readManifest(): Promise<{ manifest: Manifest; version: string; digest?: string } | null> {
    const bytes = await readOrNull(this.path(MANIFEST_KEY));
    if (bytes === null) return null;
    const parsed = parseManifest(bytes.toString('utf8'));
    if ('problem' in parsed) {
      throw new TargetError(
        `the manifest at ${this.describe(MANIFEST_KEY)} is ${parsed.problem}`,
        this.location,
        {
          code: 'manifest-corrupt',
          hint: 'restore it from a backup or delete it and re-apply with --adopt',
        },
      );
    }
    const version = sha256(bytes);
    const digest = await this.storedDigest(version);
    return { manifest: parsed.manifest, version, ...(digest ? { digest } : {}) };
  }

  /**
   * The sidecar `manifest.json.digest` holds `<manifest sha256> <render digest>`: it counts
   * only while the manifest still has that sha256, so a manifest written or edited since
   * (a crash between the two writes, a hand edit) has no digest. Reading it costs one
   * small file plus hashing the manifest, never parsing it.
   */
  async headManifest(): Promise<{ version: string; digest: string | null } | null> {
    const bytes = await readOrNull(this.path(MANIFEST_KEY));
    if (bytes === null) return null;
    const version = sha256(bytes);
    return { version, digest: await this.storedDigest(version) };
  }

  private async storedDigest(version: string): Promise<string | null> {
    const side = await readOrNull(`${this.path(MANIFEST_KEY)}${DIGEST_SUFFIX}`);
    const m = side && /^([0-9a-f]{64}) ([0-9a-f]{64})\n?$/.exec(side.toString('utf8'));
    return m && m[1] === version ? (m[2] as string) : null;
  }

  async writeManifest(
    manifest: Manifest,
    expectedVersion: string | null,
    digest: string | null = null,
  ): Promise<string> {
    const path = this.path(MANIFEST_KEY);
    await this.mkdirFor(MANIFEST_KEY, path);
    return withLockFile(`${path}.lock`, async () => {
      const current = await readOrNull(path);
      const currentVersion = current === null ? null : sha256(current);
      if (currentVersion !== expectedVersion) throw new ManifestConflictError(this.describe(MANIFEST_KEY));
      const text = serializeManifest(manifest);
      await this.atomicWrite(path, text);
      const version = sha256(text);
      // After the manifest: the sidecar names the manifest's sha256, so a stale one never counts.
      if (digest !== null && (manifest.pending?.length ?? 0) === 0)
        await this.atomicWrite(`${path}${DIGEST_SUFFIX}`, `${version} ${digest}\n`);
      // catch-all: usually absent; a stale sidecar never counts, it names an older manifest's sha256.
      else await unlink(`${path}${DIGEST_SUFFIX}`).catch(() => undefined);
      return version;
    });
  }

  async put(key: string, content: string, _meta: PutMeta, condition: PutCondition): Promise<string> {
    const path = this.path(key);
    await this.mkdirFor(key, path);
    if (condition.mode === 'create') {
      const tmp = await this.writeTemp(path, content);
      try {
        await linkOrCopyExclusive(tmp, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new TargetError(`${this.describe(key)} exists and is not owned by backtest-gitops`, key, {
            code: 'unowned-conflict',
            hint: 'move or delete that file, or re-run apply with --adopt to take it over',
          });
        }
        throw this.ioError('write', key, err);
      } finally {
        // catch-all: cleanup of our temp file (gone once linked); the write's own outcome is what counts.
        await unlink(tmp).catch(() => undefined);
      }
      return sha256(content);
    }
    if (condition.mode === 'replace' && condition.etag !== null) {
      const current = await readOrNull(path);
      if (current === null || sha256(current) !== condition.etag) {
        throw new TargetError(`${this.describe(key)} was changed or removed behind our back`, key, {
          code: 'drift',
        });
      }
    }
    await this.atomicWrite(path, content);
    return sha256(content);
  }

  async delete(key: string, expectedVersion: string | null = null): Promise<void> {
    if (expectedVersion !== null) {
      const current = await readOrNull(this.path(key));
      if (current === null) return;
      if (sha256(current) !== expectedVersion) {
        throw new TargetError(`${this.describe(key)} was changed behind our back; not deleted`, key, {
          code: 'drift',
        });
      }
    }
    await unlink(this.path(key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw this.ioError('delete', key, err);
    });
  }

  async get(key: string): Promise<string | null> {
    return (await this.read(key))?.content ?? null;
  }

  async read(key: string): Promise<StoredObject | null> {
    const bytes = await readOrNull(this.path(key));
    return bytes === null ? null : { content: bytes.toString('utf8'), version: sha256(bytes) };
  }

  async stat(keys: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const key of keys) {
      const bytes = await readOrNull(this.path(key));
      if (bytes !== null) out.set(key, sha256(bytes));
    }
    return out;
  }

  private path(key: string): string {
    const path = resolve(this.root, key);
    if (key.startsWith('/') || key.includes('\\') || !path.startsWith(this.root + sep)) {
      throw new TargetError(`refusing key ${JSON.stringify(key)}: it leaves ${this.location}`, key, {
        code: 'bad-key',
      });
    }
    return path;
  }

  private async mkdirFor(key: string, path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true }).catch((err: unknown) => {
      throw this.ioError('create the folder for', key, err);
    });
  }

  private describe(key: string): string {
    return join(this.location, key);
  }

  private async writeTemp(path: string, content: string): Promise<string> {
    // Hidden and not ending in .py, so Airflow's DAG processor never picks up a temp file.
    const tmp = join(
      dirname(path),
      `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
    );
    await writeFile(tmp, content);
    return tmp;
  }

  private async atomicWrite(path: string, content: string): Promise<void> {
    const tmp = await this.writeTemp(path, content);
    try {
      await rename(tmp, path);
    } catch (err) {
      // catch-all: cleanup of our temp file; the rename's error is the one to report.
      await unlink(tmp).catch(() => undefined);
      throw this.ioError('write', path, err);
    }
  }

  private ioError(op: string, key: string, err: unknown): TargetError {
    const code = (err as NodeJS.ErrnoException).code ?? 'io';
    return new TargetError(`cannot ${op} ${this.describe(key)}: ${code}`, key, { code: 'io', cause: err });
  }
}

/**
 * Puts `tmp` at `path` only if `path` does not exist. A hard link is atomic and, unlike
 * rename, never replaces; file systems without hard links (some network mounts) get an
 * exclusive copy instead, which is still no-clobber but not atomic.
 */
async function linkOrCopyExclusive(tmp: string, path: string): Promise<void> {
  try {
    await link(tmp, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    await copyFile(tmp, path, fsConstants.COPYFILE_EXCL);
  }
}

async function readOrNull(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    // ENOTDIR (the target is a file), EACCES, EISDIR: the operator's setup, not a bug.
    throw new TargetError(`cannot read ${path}: ${code ?? 'io error'}`, path, {
      code: 'io',
      hint: 'the target must be a folder we can read and write (or a path where one can be created)',
      cause: err,
    });
  }
}
