import { type ConfigPath, locatePath } from './locate.js';
import { looksLikeSecretKey } from './patterns.js';
import type { ConfigIssue } from './types.js';
import type { YamlSource } from './yaml-source.js';
import { secretKeyIssue } from './zod-issues.js';

/**
 * Credential-looking keys anywhere in a file: params and their nested maps, param_grid keys
 * (`params.db_password`) and the maps inside grid values (`conn: [{password: ...}]`),
 * strategies, defaults and environments. A value can reach a DAG from any of these places,
 * so the rule holds for all of them. One walk over the value: every key is looked at once
 * (aliased values once per use, which the alias budget bounds).
 */
export function findSecretKeys(source: YamlSource, value: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const path: (string | number)[] = [];
  walk(value);
  return issues;

  function walk(node: unknown): void {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        path.push(i);
        walk(item);
        path.pop();
      });
      return;
    }
    for (const [key, child] of Object.entries(node)) {
      path.push(key);
      if (looksLikeSecretKey(key))
        issues.push(secretKeyIssue(locatePath(source, path as ConfigPath, 'key'), key));
      walk(child);
      path.pop();
    }
  }
}
