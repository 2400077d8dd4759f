import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/**
 * MWAA copies the DAG prefix of its bucket onto every Airflow container. This does the
 * same, one way, by ETag: new and changed objects are downloaded, vanished ones removed.
 */
export class S3FolderSync {
  private readonly etags = new Map<string, string>();
  /** Synced files the DAG processor parses (see `parsed`). */
  private readonly parsedKeys = new Set<string>();

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly folder: string,
  ) {}

  /**
   * Whether the folder changed, and whether a file Airflow's DAG processor parses changed
   * (a `.py` file, a zip archive, `.airflowignore`): only then can a parsing pass find anything
   * new. Other files (the controller's manifest and state JSON next to the DAGs) are copied all
   * the same.
   */
  async sync(): Promise<{ changed: boolean; parsedChanged: boolean }> {
    const remote = await this.listRemote();
    let changed = false;
    let parsedChanged = false;
    for (const [key, etag] of remote) {
      if (this.etags.get(key) === etag) continue;
      const obj = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      const body = (await obj.Body?.transformToByteArray()) ?? new Uint8Array();
      const path = join(this.folder, ...key.split('/'));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, body);
      this.etags.set(key, etag);
      changed = true;
      const isParsed = parsed(key, body);
      if (isParsed || this.parsedKeys.has(key)) parsedChanged = true;
      if (isParsed) this.parsedKeys.add(key);
      else this.parsedKeys.delete(key);
    }
    for (const local of listFiles(this.folder)) {
      if (remote.has(local)) continue;
      rmSync(join(this.folder, ...local.split('/')), { force: true });
      this.etags.delete(local);
      changed = true;
      // A synced file we know; one written into the folder by other means, by its name.
      if (this.parsedKeys.delete(local) || parsed(local, null)) parsedChanged = true;
    }
    return { changed, parsedChanged };
  }

  private objectKey(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private async listRemote(): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const listPrefix = this.prefix ? `${this.prefix}/` : '';
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: listPrefix, ContinuationToken: token }),
      );
      for (const obj of page.Contents ?? []) {
        if (!obj.Key || obj.Key.endsWith('/')) continue;
        found.set(obj.Key.slice(listPrefix.length), obj.ETag ?? '');
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found;
  }
}

/**
 * Files Airflow's DAG processor reads when it lists the DAG folder: Python files, zip
 * archives (by content, whatever their name) and the ignore file. For a vanished file whose
 * content is unknown, anything that is not plainly data counts.
 */
function parsed(key: string, body: Uint8Array | null): boolean {
  const name = key.split('/').at(-1) ?? '';
  if (name.endsWith('.py') || name === '.airflowignore') return true;
  if (body === null) return !/\.(json|ya?ml|md|txt|csv)$/.test(name);
  return body[0] === 0x50 && body[1] === 0x4b && body[2] === 0x03 && body[3] === 0x04; // PK\3\4
}

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '__pycache__') walk(path);
      } else if (!entry.name.endsWith('.pyc')) {
        out.push(relative(root, path).split(sep).join('/'));
      }
    }
  };
  walk(root);
  return out;
}
