import type { Manifest } from '../plan/types.js';
import { UsageError } from '../shared/errors.js';
import type {
  DagStore,
  ManifestReadHint,
  PutCondition,
  PutMeta,
  StoredObject,
} from '../targets/dag-store.js';
import type { TargetContext, TargetResolver } from '../targets/open-target.js';
import { s3Store } from '../targets/open-target.js';
import { airflowMajor, type MwaaEnvironment } from './environment.js';
import { connectMwaa, type MwaaConnection } from './mwaa-connection.js';

/**
 * An MWAA environment as a DAG target: the S3 store on the environment's source bucket and
 * DAG folder, plus what apply needs afterwards (the environment, to check the import).
 */
export class MwaaDagStore implements DagStore {
  readonly location: string;

  constructor(
    readonly environment: MwaaEnvironment,
    readonly connection: MwaaConnection,
    private readonly s3: DagStore,
  ) {
    this.location = `mwaa://${environment.name} (${s3.location})`;
  }

  /** Major Airflow version to render for. */
  get airflowMajor(): 2 | 3 {
    return airflowMajor(this.environment.airflowVersion);
  }

  readManifest(
    hint?: ManifestReadHint,
  ): Promise<{ manifest: Manifest; version: string; digest?: string | null } | null> {
    return this.s3.readManifest(hint);
  }
  headManifest(): Promise<{ version: string; digest: string | null } | null> {
    return this.s3.headManifest ? this.s3.headManifest() : Promise.resolve(null);
  }
  writeManifest(manifest: Manifest, expectedVersion: string | null, digest?: string | null): Promise<string> {
    return this.s3.writeManifest(manifest, expectedVersion, digest);
  }
  put(key: string, content: string, meta: PutMeta, condition: PutCondition): Promise<string | null> {
    return this.s3.put(key, content, meta, condition);
  }
  delete(key: string, expectedVersion?: string | null): Promise<void> {
    return this.s3.delete(key, expectedVersion);
  }
  get(key: string): Promise<string | null> {
    return this.s3.get(key);
  }
  // Content, version and the sha256 our put recorded, in one GET: apply's conflict path needs
  // all three (the S3 store's answer is passed on whole).
  read(key: string): Promise<StoredObject | null> {
    return this.s3.read ? this.s3.read(key) : fallbackRead(this.s3, key);
  }
  collectGarbage(): Promise<number> {
    return this.s3.collectGarbage ? this.s3.collectGarbage() : Promise.resolve(0);
  }
  stat(keys: string[]): Promise<Map<string, string>> {
    return this.s3.stat(keys);
  }
}

async function fallbackRead(store: DagStore, key: string) {
  const content = await store.get(key);
  if (content === null) return null;
  const version = (await store.stat([key])).get(key);
  return version === undefined ? null : { content, version };
}

export function isMwaaDagStore(store: DagStore): store is MwaaDagStore {
  return store instanceof MwaaDagStore;
}

/** `mwaa://ENVIRONMENT_NAME` -> GetEnvironment -> S3DagStore on its bucket/DAG path. */
export const resolveMwaaTarget: TargetResolver = async (spec: string, ctx: TargetContext) => {
  const name = /^mwaa:\/\/([^/?#]+)\/?$/i.exec(spec)?.[1];
  if (!name) throw new UsageError(`invalid MWAA target ${spec}`, 'write it as mwaa://ENVIRONMENT_NAME');
  const connection = connectMwaa(name, ctx.options);
  const environment = await connection.controlPlane.resolveEnvironment(name);
  const s3 = s3Store(`s3://${environment.bucket}/${environment.prefix}`, ctx);
  return new MwaaDagStore(environment, connection, s3);
};
