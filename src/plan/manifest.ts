import { z } from 'zod';
import type { DesiredFile, Manifest, ManifestEntry, ManifestOwner, PendingEntry } from './types.js';

/** Where the manifest lives, relative to the target root. */
export const MANIFEST_KEY = '.backtest-gitops/manifest.json';
/** Keys under this folder are the controller's own bookkeeping, never DAG files. */
export const RESERVED_PREFIX = '.backtest-gitops/';

/**
 * Why `key` cannot be an owned object, or null when it can: it must stay under the target's
 * prefix (relative, no `.`/`..` or empty segments, no backslash) and not be our bookkeeping.
 * A manifest naming such a key is refused as a whole, so a forged or damaged manifest can
 * never make apply delete the manifest itself or an object outside its prefix.
 */
export function ownedKeyProblem(key: string): string | null {
  if (key.length === 0) return 'an empty key';
  if (key.startsWith('/')) return `${JSON.stringify(key)} is absolute`;
  if (key.includes('\\')) return `${JSON.stringify(key)} has a backslash`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
  if (/[\u0000-\u001f\u007f]/.test(key)) return `${JSON.stringify(key)} has a control character`;
  if (key.split('/').some((s) => s === '' || s === '.' || s === '..'))
    return `${JSON.stringify(key)} has an empty, '.' or '..' segment`;
  if (key.startsWith(RESERVED_PREFIX)) return `${JSON.stringify(key)} is the controller's own bookkeeping`;
  return null;
}

const OwnedKey = z.string().superRefine((key, ctx) => {
  const problem = ownedKeyProblem(key);
  if (problem) ctx.addIssue({ code: 'custom', message: `not a key we may own: ${problem}` });
});

export const OwnerSchema = z.object({
  repo: z.string(),
  path: z.string(),
  environment: z.string().nullable(),
  target: z.string(),
});

export const EntrySchema = z.object({
  key: OwnedKey,
  sha256: z.string(),
  size: z.number().int().nonnegative(),
  source: z.string().nullable(),
  dag_id: z.string().nullable(),
  runs: z.number().int().nonnegative(),
  commit: z.string(),
  etag: z.string().nullable(),
});

export const PendingSchema = z.object({ key: OwnedKey, sha256: z.string().nullable() });

export const ManifestSchema = z.object({
  version: z.literal(1),
  generator: z.string(),
  owner: OwnerSchema.optional(),
  commit: z.string(),
  entries: z.array(EntrySchema),
  pending: z.array(PendingSchema).optional(),
});

/** Parses manifest JSON text; returns the problem as a string when it is not a manifest we wrote. */
/** The manifest entry recording desired file `d`, written at `commit` (its ETag when known). */
export function manifestEntryFor(d: DesiredFile, etag: string | null, commit: string): ManifestEntry {
  return {
    key: d.key,
    sha256: d.sha256,
    size: Buffer.byteLength(d.content),
    source: d.source,
    dag_id: d.dag_id,
    runs: d.runs,
    commit,
    etag,
  };
}

export function parseManifest(text: string): { manifest: Manifest } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { problem: `not JSON (${(err as Error).message})` };
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return {
      problem: `not a backtest-gitops manifest (${first?.path.join('.') ?? ''}: ${first?.message ?? ''})`,
    };
  }
  return { manifest: parsed.data as Manifest };
}

/** Stable JSON (sorted entries, fixed key order, trailing newline) so equal manifests have equal bytes. */
export function serializeManifest(m: Manifest): string {
  const out: Manifest = {
    version: 1,
    generator: m.generator,
    ...(m.owner ? { owner: ownerFields(m.owner) } : {}),
    commit: m.commit,
    entries: [...m.entries].sort(byKey).map(entryFields),
  };
  if (m.pending && m.pending.length > 0) out.pending = normalisePending(m.pending);
  // One entry per line: diffable and readable, and about a third smaller than indenting every
  // field (the manifest is read on every reconcile and written on every change).
  const list = (items: unknown[]) =>
    items.length === 0 ? '[]' : `[\n${items.map((i) => `    ${JSON.stringify(i)}`).join(',\n')}\n  ]`;
  const fields = [
    '  "version": 1',
    `  "generator": ${JSON.stringify(out.generator)}`,
    ...(out.owner ? [`  "owner": ${JSON.stringify(out.owner)}`] : []),
    `  "commit": ${JSON.stringify(out.commit)}`,
    `  "entries": ${list(out.entries)}`,
  ];
  if (out.pending) fields.push(`  "pending": ${list(out.pending)}`);
  return `{\n${fields.join(',\n')}\n}\n`;
}

export interface ManifestChange {
  generator: string;
  commit: string;
  /** Owner to record; absent = keep the base manifest's. */
  owner?: ManifestOwner;
  /** Entries written (or confirmed) by this apply; replace any entry with the same key. */
  upsert: ManifestEntry[];
  /** Keys no longer owned (deleted). */
  remove: string[];
  /** Changes announced before making them. */
  addPending: PendingEntry[];
  /** Pending keys resolved (written and recorded, deleted, or found not to be ours). */
  resolvePending: string[];
}

/** The next manifest: `base` with the change applied. */
export function nextManifest(base: Manifest | null, change: ManifestChange): Manifest {
  const entries = new Map((base?.entries ?? []).map((e) => [e.key, e]));
  for (const key of change.remove) entries.delete(key);
  for (const e of change.upsert) entries.set(e.key, e);
  const resolved = new Set(change.resolvePending);
  const pending = [...(base?.pending ?? []), ...change.addPending].filter((p) => !resolved.has(p.key));
  const owner = change.owner ?? base?.owner;
  const m: Manifest = {
    version: 1,
    generator: change.generator,
    ...(owner ? { owner } : {}),
    commit: change.commit,
    entries: [...entries.values()].sort(byKey),
  };
  if (pending.length > 0) m.pending = normalisePending(pending);
  return m;
}

/** An entry with exactly the recorded fields, in a fixed order (stable bytes). */
export function entryFields(e: ManifestEntry): ManifestEntry {
  return {
    key: e.key,
    sha256: e.sha256,
    size: e.size,
    source: e.source,
    dag_id: e.dag_id,
    runs: e.runs,
    commit: e.commit,
    etag: e.etag,
  };
}

export function normalisePending(pending: PendingEntry[]): PendingEntry[] {
  const seen = new Map(pending.map((p) => [`${p.key}\n${p.sha256}`, { key: p.key, sha256: p.sha256 }]));
  const sha = (p: PendingEntry) => p.sha256 ?? '';
  return [...seen.values()].sort((a, b) => (byKey(a, b) !== 0 ? byKey(a, b) : sha(a) < sha(b) ? -1 : 1));
}

export function ownerFields(o: ManifestOwner): ManifestOwner {
  return { repo: o.repo, path: o.path, environment: o.environment, target: o.target };
}

export function byKey(a: { key: string }, b: { key: string }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
