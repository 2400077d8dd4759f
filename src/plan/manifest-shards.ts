import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  byKey,
  EntrySchema,
  entryFields,
  normalisePending,
  OwnerSchema,
  ownerFields,
  PendingSchema,
  parseManifest,
} from './manifest.js';
import type { Manifest, ManifestEntry } from './types.js';

/**
 * The manifest split for stores where every byte moved costs (S3): a small root at
 * MANIFEST_KEY (owner, commit, pending, and the names of the shards) plus immutable shard
 * objects holding the entries, each key in shard `hash(key) mod n`. One changed config
 * rewrites one shard of a few KB and the root, instead of the whole list of every owned file;
 * a reader that already holds a shard (by name) never downloads it again.
 *
 * The root's conditional write stays the single commit point: shards are written first under
 * new names and mean nothing until a root names them. A shard's name is
 * `<generation>-<content hash>`, where generation is the root's write counter (+1 per write):
 * a shard not named by a root of generation G and itself of generation ≤ G can never be
 * named by any later root (a writer reuses only its base root's shards, and a writer whose
 * base is older than G loses its conditional write), so it is garbage and may be deleted.
 *
 * The root also records, per shard, a short hash of the shard's sorted (key, sha256) pairs
 * (`keyHashes`). A reader that knows the files it wants (the desired render) computes the same
 * hash per shard from them without any request: a shard whose recorded hash equals it lists
 * exactly the wanted keys with the wanted content, so every key in it plans as unchanged and
 * a fresh process need not download it (see S3DagStore.readManifest for what a forged hash
 * can and cannot do). The hashes are part of the root, so they are committed by the same
 * conditional PUT as the shard names. A root written before them has none: it is read whole.
 */

/** Where the shards live, relative to the target root (under the reserved bookkeeping folder). */
export const SHARD_PREFIX = '.backtest-gitops/manifest-shards/';
const SHARD_SUFFIX = '.json.gz';

/** Entries per shard the layout aims for, and the range it tolerates before it re-splits. */
const TARGET_PER_SHARD = 48;
const MIN_PER_SHARD = 12;
const MAX_PER_SHARD = 96;

export interface ManifestRoot {
  version: 2;
  generator: string;
  owner?: Manifest['owner'];
  commit: string;
  /** +1 on every write; the generation a shard was first written for is part of its name. */
  generation: number;
  /** Number of entries over all shards (a check when they are read back). */
  entries: number;
  /** Shard names by index (length n, a power of two); null = no entries in that shard. */
  shards: (string | null)[];
  /**
   * Per shard index, keySetHash of that shard's entries (null where the shard is null).
   * Absent in roots written before it existed: such a root's shards are all read.
   */
  keyHashes?: (string | null)[];
  pending?: Manifest['pending'];
}

const SHARD_NAME = /^(\d{1,15})-([0-9a-f]{16})$/;

const RootSchema = z
  .object({
    version: z.literal(2),
    generator: z.string(),
    owner: OwnerSchema.optional(),
    commit: z.string(),
    generation: z.number().int().positive(),
    entries: z.number().int().nonnegative(),
    shards: z
      .array(z.string().regex(SHARD_NAME, 'not a shard name').nullable())
      .min(1)
      .refine((s) => (s.length & (s.length - 1)) === 0, 'shard count must be a power of two'),
    keyHashes: z
      .array(
        z
          .string()
          .regex(/^[0-9a-f]{16}$/, 'not a key hash')
          .nullable(),
      )
      .optional(),
    pending: z.array(PendingSchema).optional(),
  })
  .refine(
    (r) =>
      r.keyHashes === undefined ||
      (r.keyHashes.length === r.shards.length &&
        r.keyHashes.every((h, i) => (h === null) === (r.shards[i] === null))),
    'keyHashes must have one hash per named shard',
  );

const ShardSchema = z.object({
  version: z.literal(2),
  shard: z.number().int().nonnegative(),
  of: z.number().int().positive(),
  entries: z.array(EntrySchema).min(1),
});

/** The object key of a shard, relative to the target root. */
export function shardKey(name: string): string {
  return `${SHARD_PREFIX}${name}${SHARD_SUFFIX}`;
}

/** The shard name in an object key under SHARD_PREFIX, or null for anything else. */
export function shardNameOf(key: string): string | null {
  if (!key.startsWith(SHARD_PREFIX) || !key.endsWith(SHARD_SUFFIX)) return null;
  const name = key.slice(SHARD_PREFIX.length, -SHARD_SUFFIX.length);
  return SHARD_NAME.test(name) ? name : null;
}

/**
 * Whether the shard `name` can be deleted given a root that was committed at some time: it is
 * not named by that root and was written for that root's generation or an earlier one, so no
 * later root can name it (see the module comment). Shards of later generations may belong to
 * a write still under way and are left alone.
 */
export function isGarbageShard(name: string, committed: ManifestRoot): boolean {
  const gen = shardGeneration(name);
  return Number.isFinite(gen) && gen <= committed.generation && !committed.shards.includes(name);
}

/** The generation a shard was written for (the number its name starts with); NaN if not a shard name. */
export function shardGeneration(name: string): number {
  return Number(SHARD_NAME.exec(name)?.[1] ?? Number.NaN);
}

/** Which of `n` shards holds `key` (n a power of two). */
export function shardOf(key: string, n: number): number {
  return Number.parseInt(createHash('sha256').update(key).digest('hex').slice(0, 8), 16) % n;
}

/**
 * Shard count for `count` entries: the previous count while it keeps shards between
 * MIN_PER_SHARD and MAX_PER_SHARD entries (so a config added or removed near a boundary does
 * not rewrite every shard), else the power of two nearest TARGET_PER_SHARD per shard.
 */
export function chooseShardCount(count: number, previous: number | null): number {
  if (previous !== null) {
    const per = count / previous;
    const fits = (previous === 1 || per >= MIN_PER_SHARD) && per <= MAX_PER_SHARD;
    if (fits) return previous;
  }
  let n = 1;
  while (count / n > TARGET_PER_SHARD) n *= 2;
  return n;
}

/** The bytes of one shard: stable (sorted entries, fixed field order), one entry per line. */
export function shardText(index: number, n: number, entries: ManifestEntry[]): string {
  const lines = [...entries].sort(byKey).map((e) => JSON.stringify(entryFields(e)));
  return `{"version":2,"shard":${index},"of":${n},"entries":[\n${lines.join(',\n')}\n]}\n`;
}

/**
 * The hash the root records per shard: sha256 of the sorted `key NUL sha256 LF` lines of its
 * entries, 16 hex digits. It depends only on what a deployer can compute from its render
 * (keys and content hashes), not on ETags, commits or the shard's bytes.
 */
export function keySetHash(entries: readonly { key: string; sha256: string }[]): string {
  const h = createHash('sha256');
  for (const e of [...entries].sort(byKey)) h.update(`${e.key}\0${e.sha256}\n`);
  return h.digest('hex').slice(0, 16);
}

/** Files grouped by the shard (of `n`) their key falls in. */
export function bucketByShard<T extends { key: string }>(files: readonly T[], n: number): T[][] {
  const buckets: T[][] = Array.from({ length: n }, () => []);
  for (const f of files) buckets[shardOf(f.key, n)]?.push(f);
  return buckets;
}

function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export interface ShardWrite {
  name: string;
  text: string;
  entries: ManifestEntry[];
}

/**
 * The root that records `manifest` on top of `base` (the root being replaced; null = none,
 * or a single-file manifest being migrated), and the shards to write before it. A shard
 * whose content equals the base's shard at the same index keeps its name and is not written.
 * `unread` names the indexes whose entries are the base shard's, unchanged, but were never
 * downloaded (stand-ins built from the desired render): they keep the base's name and key
 * hash as they are (the caller checked that the shard count stays the same).
 */
export function layoutManifest(
  manifest: Manifest,
  base: ManifestRoot | null,
  baseGeneration: number,
  unread: ReadonlySet<number> = new Set(),
): { root: ManifestRoot; writes: ShardWrite[] } {
  const generation = baseGeneration + 1;
  const n = chooseShardCount(manifest.entries.length, base?.shards.length ?? null);
  const buckets = bucketByShard(manifest.entries, n);
  const writes: ShardWrite[] = [];
  const keyHashes: (string | null)[] = [];
  const shards = buckets.map((entries, i) => {
    keyHashes[i] = null;
    if (entries.length === 0) return null;
    const kept = base?.shards.length === n ? base.shards[i] : null;
    const keptHash = base?.shards.length === n ? base.keyHashes?.[i] : null;
    if (unread.has(i)) {
      if (!kept || !keptHash) throw new Error(`layoutManifest: shard ${i} was not read and has no base`);
      keyHashes[i] = keptHash;
      return kept;
    }
    keyHashes[i] = keySetHash(entries);
    const text = shardText(i, n, entries);
    const hash = contentHash(text);
    if (kept?.endsWith(`-${hash}`)) return kept;
    const name = `${generation}-${hash}`;
    writes.push({ name, text, entries: [...entries].sort(byKey) });
    return name;
  });
  const root: ManifestRoot = {
    version: 2,
    generator: manifest.generator,
    ...(manifest.owner ? { owner: ownerFields(manifest.owner) } : {}),
    commit: manifest.commit,
    generation,
    entries: manifest.entries.length,
    shards,
    keyHashes,
  };
  if (manifest.pending && manifest.pending.length > 0) root.pending = normalisePending(manifest.pending);
  return { root, writes };
}

/** Stable JSON for the root; the shard names one per line of 8 (readable, still small). */
export function serializeRoot(root: ManifestRoot): string {
  const fields = [
    '  "version": 2',
    `  "generator": ${JSON.stringify(root.generator)}`,
    ...(root.owner ? [`  "owner": ${JSON.stringify(ownerFields(root.owner))}`] : []),
    `  "commit": ${JSON.stringify(root.commit)}`,
    `  "generation": ${root.generation}`,
    `  "entries": ${root.entries}`,
  ];
  const rows: string[] = [];
  for (let i = 0; i < root.shards.length; i += 8)
    rows.push(
      `    ${root.shards
        .slice(i, i + 8)
        .map((s) => JSON.stringify(s))
        .join(',')}`,
    );
  fields.push(`  "shards": [\n${rows.join(',\n')}\n  ]`);
  if (root.keyHashes) {
    const hashes = root.keyHashes;
    const hashRows: string[] = [];
    for (let i = 0; i < hashes.length; i += 8)
      hashRows.push(
        `    ${hashes
          .slice(i, i + 8)
          .map((h) => JSON.stringify(h))
          .join(',')}`,
      );
    fields.push(`  "keyHashes": [\n${hashRows.join(',\n')}\n  ]`);
  }
  if (root.pending && root.pending.length > 0) {
    const pending = normalisePending(root.pending).map((p) => `    ${JSON.stringify(p)}`);
    fields.push(`  "pending": [\n${pending.join(',\n')}\n  ]`);
  }
  return `{\n${fields.join(',\n')}\n}\n`;
}

/**
 * Reads the object at MANIFEST_KEY: a sharded root (version 2), or a single-file manifest
 * (version 1, written before sharding; read as it is and replaced by a root on the next write).
 */
export function parseManifestDocument(
  text: string,
): { root: ManifestRoot } | { manifest: Manifest } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { problem: `not JSON (${(err as Error).message})` };
  }
  if ((json as { version?: unknown } | null)?.version !== 2) return parseManifest(text);
  const parsed = RootSchema.safeParse(json);
  if (!parsed.success) return { problem: `not a backtest-gitops manifest (${firstIssue(parsed.error)})` };
  return { root: parsed.data as ManifestRoot };
}

/**
 * Reads shard `index` of `root`: its bytes must hash to its name, it must say which shard it
 * is, and every key must belong there and be a key we may own. Any other shard is refused,
 * so a damaged or forged shard can never make apply delete or overwrite a foreign object.
 */
export function parseShard(
  text: string,
  name: string,
  index: number,
  n: number,
): { entries: ManifestEntry[] } | { problem: string } {
  if (!name.endsWith(`-${contentHash(text)}`)) return { problem: `shard ${name} does not match its name` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { problem: `shard ${name} is not JSON (${(err as Error).message})` };
  }
  const parsed = ShardSchema.safeParse(json);
  if (!parsed.success)
    return { problem: `shard ${name} is not a manifest shard (${firstIssue(parsed.error)})` };
  const shard = parsed.data;
  if (shard.shard !== index || shard.of !== n)
    return { problem: `shard ${name} is shard ${shard.shard} of ${shard.of}, not ${index} of ${n}` };
  const stray = shard.entries.find((e) => shardOf(e.key, n) !== index);
  if (stray)
    return { problem: `shard ${name} lists ${JSON.stringify(stray.key)}, which belongs to another shard` };
  const seen = new Set<string>();
  const twice = shard.entries.find((e) => seen.has(e.key) || !seen.add(e.key));
  if (twice) return { problem: `shard ${name} lists ${JSON.stringify(twice.key)} twice` };
  return { entries: shard.entries as ManifestEntry[] };
}

/** The manifest a root and its shards' entries (by index) describe. */
export function assembleManifest(
  root: ManifestRoot,
  shards: ManifestEntry[][],
): { manifest: Manifest } | { problem: string } {
  const entries = shards.flat().sort(byKey);
  if (entries.length !== root.entries)
    return { problem: `its shards list ${entries.length} entries, the root says ${root.entries}` };
  const manifest: Manifest = {
    version: 1,
    generator: root.generator,
    ...(root.owner ? { owner: root.owner } : {}),
    commit: root.commit,
    entries,
  };
  if (root.pending && root.pending.length > 0) manifest.pending = root.pending;
  return { manifest };
}

function firstIssue(error: z.ZodError): string {
  const first = error.issues[0];
  return `${first?.path.join('.') ?? ''}: ${first?.message ?? ''}`;
}
