import { type ConfigPath, locatePath, valueAtPath } from './locate.js';
import { looksLikeSecretKey } from './patterns.js';
import type { ConfigIssue } from './types.js';
import type { YamlSource } from './yaml-source.js';
import { secretKeyIssue } from './zod-issues.js';

/**
 * Credential-looking keys nested inside free-form values (`params: {db: {password: ...}}`).
 * Keys the schema checks itself (top-level, strategy entries, params names) are reported
 * there; this walk covers what the schema treats as opaque JSON.
 */
export function findNestedSecretKeys(source: YamlSource, value: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const root = value as Record<string, unknown>;
  const paramRoots: ConfigPath[] = [['params'], ['defaults', 'params']];
  if (Array.isArray(root.strategies)) {
    root.strategies.forEach((_, i) => {
      paramRoots.push(['strategies', i, 'params']);
    });
  }
  if (root.environments && typeof root.environments === 'object') {
    for (const env of Object.keys(root.environments))
      paramRoots.push(['environments', env, 'defaults', 'params']);
  }
  for (const base of paramRoots) {
    const params = valueAtPath(root, base);
    if (params === null || typeof params !== 'object' || Array.isArray(params)) continue;
    for (const [key, nested] of Object.entries(params)) walk(nested, [...base, key]);
  }
  return issues;

  function walk(node: unknown, path: ConfigPath): void {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        walk(item, [...path, i]);
      });
      return;
    }
    for (const [key, child] of Object.entries(node)) {
      if (looksLikeSecretKey(key))
        issues.push(secretKeyIssue(locatePath(source, [...path, key], 'key'), key));
      walk(child, [...path, key]);
    }
  }
}
