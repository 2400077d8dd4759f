import type { z } from 'zod';
import type { ConfigPath } from './locate.js';

/**
 * Removes the parts of a config value that failed schema validation, so the remaining
 * checks (which need the merged view of a file) can still run and report their problems in
 * the same pass. Returns the pruned copy and the removed fields as dotted paths
 * (`start_date`, `strategies.1.param_grid`).
 */
export function pruneInvalid(
  value: Record<string, unknown>,
  issues: readonly z.core.$ZodIssue[],
  fieldPath: (path: ConfigPath) => ConfigPath = configFieldPath,
): { value: Record<string, unknown>; pruned: Set<string> } {
  const copy = structuredClone(value);
  const pruned = new Set<string>();
  for (const issue of issues) {
    const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) remove(copy, [...path, key], pruned);
    } else {
      remove(copy, fieldPath(path), pruned);
    }
  }
  return { value: copy, pruned };
}

/** Maps whose entries are pruned one by one, so one bad grid list keeps the others checked. */
const MAP_FIELDS = new Set(['param_grid', 'params', 'callbacks', 'report']);

/** The field that owns an issue: a top-level key or a strategy entry's key, or one entry of a map field. */
export function configFieldPath(path: ConfigPath): ConfigPath {
  const start = path[0] === 'strategies' ? 2 : 0;
  if (path.length <= start) return path.slice(0, 1);
  const depth = MAP_FIELDS.has(String(path[start])) && path.length > start + 1 ? start + 2 : start + 1;
  return path.slice(0, depth);
}

function remove(root: Record<string, unknown>, path: ConfigPath, pruned: Set<string>): void {
  if (path.length === 0) return;
  let parent: unknown = root;
  for (const segment of path.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return;
    parent = (parent as Record<string | number, unknown>)[segment];
  }
  if (parent === null || typeof parent !== 'object') return;
  const last = path[path.length - 1] as string | number;
  if (Array.isArray(parent)) parent.splice(Number(last), 1, {});
  else delete (parent as Record<string, unknown>)[String(last)];
  pruned.add(path.join('.'));
}

/** In backtest-gitops.yaml: one default, one environment's default or variable, or a top-level key. */
export function settingsFieldPath(path: ConfigPath): ConfigPath {
  if (path[0] === 'defaults') return path.slice(0, 2);
  if (path[0] === 'environments') return path.slice(0, 4);
  return path.slice(0, 1);
}
