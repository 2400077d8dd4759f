import { createHash } from 'node:crypto';
import type { ManifestOwner } from '../plan/types.js';
import { dagTemplate, SUPPORT_FILES, templateFile } from '../render/template-files.js';
import { VERSION } from '../shared/version.js';

/**
 * Everything a render depends on, as one sha256: the renderer's version and templates, the
 * environment name, the deploying owner, and every file of the config repository (configs and
 * backtest-gitops.yaml) by path and bytes, plus each file's last commit when the render uses
 * it. Hashing only: nothing is parsed, validated or rendered, so an unchanged repository is
 * known to be unchanged before any of that work.
 *
 * An apply that left the target exactly as rendered (nothing pending, no conflict, no invalid
 * config kept) stores it with the manifest; the next plan or apply compares it with one HEAD.
 */
export interface RenderDigestInput {
  files: ReadonlyMap<string, string>;
  environment?: string | null;
  owner?: ManifestOwner | null;
  /** Path → last commit that changed it, when the render reads it (BACKTEST_COMMIT). */
  commits?: ReadonlyMap<string, string>;
}

/** Bump when the digest's layout changes, so old digests never match. */
const LAYOUT = 'backtest-gitops render digest 1';
/** The git form's layout: never equal to a digest of files, whatever they hold. */
const GIT_LAYOUT = 'backtest-gitops render digest (git tree) 1';

export function renderDigest(input: RenderDigestInput): string {
  const { h, field } = digestOf(LAYOUT, input);
  const paths = [...input.files.keys()].sort();
  field(String(paths.length));
  for (const path of paths) {
    field(path);
    field(input.files.get(path) as string);
    field(input.commits?.get(path) ?? '');
  }
  return h.digest('hex');
}

/**
 * A clean git work-tree folder's state in git's own ids (the git adapter's
 * WorkTreeSnapshot): the tree id stands for every file's bytes, the newest commit that
 * changed the folder (with the shallow boundary) for every file's last commit.
 */
export interface GitSource {
  /** The folder inside its repository: the same tree elsewhere has other last commits. */
  prefix: string;
  tree: string;
  lastChange: string;
  shallow: readonly string[];
}

/**
 * The render digest of a folder that is exactly its committed tree (no file differs from
 * HEAD, no untracked or ignored config, no checkout conversion): O(1) in the number of
 * configs, nothing read or hashed but ids. Equal digests mean equal renders, as for
 * `renderDigest`: equal trees hold equal bytes, and an equal newest change means the same
 * walk for each file's last commit (a revert changes it, though it restores the bytes).
 * A different layout from `renderDigest`'s, so a digest of files never equals one of a tree.
 */
export function gitSourceDigest(
  input: Omit<RenderDigestInput, 'files' | 'commits'> & { git: GitSource },
): string {
  const { h, field } = digestOf(GIT_LAYOUT, input);
  const { prefix, tree, lastChange, shallow } = input.git;
  for (const text of [prefix, tree, lastChange, String(shallow.length), ...shallow]) field(text);
  return h.digest('hex');
}

/** The fields both forms share: layout, renderer, templates, environment, owner. */
function digestOf(layout: string, input: Pick<RenderDigestInput, 'environment' | 'owner'>) {
  const h = createHash('sha256');
  // Length-prefixed fields: no choice of path or content can make two inputs hash alike.
  const field = (text: string) => {
    h.update(`${Buffer.byteLength(text)}:`);
    h.update(text);
  };
  field(layout);
  field(VERSION);
  for (const text of [dagTemplate(), ...SUPPORT_FILES.map((f) => templateFile(f))]) field(text);
  field(input.environment ?? '');
  const o = input.owner;
  field(o ? JSON.stringify([o.repo, o.path, o.environment, o.target]) : '');
  return { h, field };
}

/** What a no-op check found: `skip` = the target is as these inputs render, nothing to do. */
export type NoopCheck =
  | { skip: true; digest: string }
  | { skip: false; digest: { value: string; stored?: string | null } };

/**
 * The no-op check: one HEAD of the manifest (no body). Skips only when the stored digest
 * equals `digest`; the store writes a digest only with a manifest that has nothing pending,
 * so a match also says no apply was interrupted. `look` = the caller asked to look further
 * (a drift check, --adopt, --force-commit): then no request is made and nothing is skipped.
 */
export async function checkNoop(
  store: { headManifest?(): Promise<{ version: string; digest: string | null } | null> },
  digest: string,
  look: boolean,
): Promise<NoopCheck> {
  if (look || !store.headManifest) return { skip: false, digest: { value: digest } };
  // A failed HEAD (no body, so no error code to explain it) is a doubt: the full path's
  // GET says what is wrong.
  // catch-all: any failure only means "not known to be a no-op"; the full path reports it.
  const head = await store.headManifest().catch(() => undefined);
  if (head === undefined) return { skip: false, digest: { value: digest } };
  if (head !== null && head.digest === digest) return { skip: true, digest };
  return { skip: false, digest: { value: digest, stored: head?.digest ?? null } };
}
