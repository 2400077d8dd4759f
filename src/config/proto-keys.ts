import { configError } from './issues.js';
import { type ConfigPath, formatPath, locatePath } from './locate.js';
import type { ConfigIssue } from './types.js';
import type { YamlSource } from './yaml-source.js';

/**
 * `__proto__` keys where the schema checks keys. zod's record and object parsing skip a key
 * named `__proto__` (it guards itself against prototype pollution), so such a key would
 * pass validation unchecked; this walk reports it as any other bad key would be. Free-form
 * values (inside a params or param_grid entry) may hold it: they stay data.
 */
export function protoKeyIssues(source: YamlSource, value: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  walk(value, []);
  return issues;

  function walk(node: unknown, path: ConfigPath): void {
    if (node === null || typeof node !== 'object') return;
    const parent = path[path.length - 1];
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        walk(item, [...path, i]);
      });
      return;
    }
    for (const key of Object.keys(node)) {
      const keyPath = [...path, key];
      if (key === '__proto__') issues.push(protoKeyIssue(locatePath(source, keyPath, 'key'), path));
      // Entries of params and param_grid are free-form values.
      if (parent !== 'params' && parent !== 'param_grid')
        walk((node as Record<string, unknown>)[key], keyPath);
    }
  }
}

function protoKeyIssue(at: ReturnType<typeof locatePath>, parentPath: ConfigPath): ConfigIssue {
  const parent = parentPath[parentPath.length - 1];
  if (parent === 'params') {
    return configError(
      at,
      'invalid-params-key',
      '`__proto__` is not a valid parameter name',
      'params names are snake_case: lowercase letters, digits and _, starting with a letter',
    );
  }
  if (parent === 'param_grid') {
    return configError(at, 'grid-unknown-key', 'param_grid key `__proto__` is not a parameter');
  }
  if (parentPath.length === 1 && parent === 'environments') {
    return configError(
      at,
      'invalid-environment-name',
      'environment name `__proto__` must be lowercase letters, digits, _ and -, starting with a letter',
    );
  }
  const where = parentPath.length === 0 ? '' : ` in \`${formatPath(parentPath)}\``;
  return configError(at, 'unknown-key', `unknown key \`__proto__\`${where}`);
}
