import { describe, expect, it } from 'vitest';
import type { DagStore } from '../targets/dag-store.js';
import type { MwaaConnection } from './mwaa-connection.js';
import { MwaaDagStore } from './mwaa-target.js';

const ENVIRONMENT = {
  name: 'research',
  status: 'AVAILABLE',
  airflowVersion: '2.10.3',
  bucket: 'dags-bucket',
  prefix: 'dags',
  webserverHostname: 'example.invalid',
  region: 'us-east-1',
};

/** The S3 side of the target: only what `read` touches answers. */
function s3Answering(read: DagStore['read']): DagStore {
  const unused = () => {
    throw new Error('not used here');
  };
  return {
    location: 's3://dags-bucket/dags',
    readManifest: unused,
    writeManifest: unused,
    put: unused,
    delete: unused,
    get: unused,
    stat: unused,
    ...(read ? { read } : {}),
  } as DagStore;
}

describe('MwaaDagStore.read', () => {
  it("passes on the sha256 our put recorded, which apply's conflict path uses to know its own object", async () => {
    const store = new MwaaDagStore(
      ENVIRONMENT,
      {} as MwaaConnection, // not used by read
      s3Answering(async () => ({ content: 'x', version: '"v1"', deployedSha256: 'ab'.repeat(32) })),
    );
    expect(await store.read('a.py')).toEqual({
      content: 'x',
      version: '"v1"',
      deployedSha256: 'ab'.repeat(32),
    });
  });
});
