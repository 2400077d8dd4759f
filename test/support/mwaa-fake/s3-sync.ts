import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/**
 * MWAA copies the DAG prefix of its bucket onto every Airflow container. This does the
 * same, one way, by ETag: new and changed objects are downloaded, vanished ones removed.
 */
export class S3FolderSync {
  private readonly etags = new Map<string, string>();

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly folder: string,
  ) {}

  /** Returns true when the folder changed. */
  async sync(): Promise<boolean> {
    const remote = await this.listRemote();
    let changed = false;
    for (const [key, etag] of remote) {
      if (this.etags.get(key) === etag) continue;
      const obj = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      const body = (await obj.Body?.transformToByteArray()) ?? new Uint8Array();
      const path = join(this.folder, ...key.split('/'));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, body);
      this.etags.set(key, etag);
      changed = true;
    }
    for (const local of listFiles(this.folder)) {
      if (remote.has(local)) continue;
      rmSync(join(this.folder, ...local.split('/')), { force: true });
      this.etags.delete(local);
      changed = true;
    }
    return changed;
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
