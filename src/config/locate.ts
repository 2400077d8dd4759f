import { isAlias, isMap, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import type { SourceLocation } from './types.js';
import { nodeLocation, type YamlSource } from './yaml-source.js';
import { mapKey } from './yaml-value.js';

/** A path into a config value: map keys and list indexes, as zod reports them. */
export type ConfigPath = readonly (string | number)[];

/**
 * Finds where a path was written. `key` points at the map key (for unknown or misplaced
 * keys), `value` at the value (for wrong values); an empty value (`key:` with nothing after
 * it) is reported at its key. A path that does not exist resolves to its deepest existing
 * ancestor, so a missing key is reported at the map that lacks it.
 */
export function locatePath(
  source: YamlSource,
  path: ConfigPath,
  target: 'key' | 'value' = 'value',
): SourceLocation {
  let node: Node | null = source.doc.contents as Node | null;
  let keyNode: Node | null = null;
  for (const segment of path) {
    const current = resolveAlias(source, node);
    if (isMap(current)) {
      const pair = pairAt(source, current, String(segment));
      if (!pair) return nodeLocation(source, keyNode ?? current);
      keyNode = pair.key as Node;
      node = pair.value as Node | null;
    } else if (isSeq(current) && typeof segment === 'number' && current.items[segment] !== undefined) {
      keyNode = null;
      node = current.items[segment] as Node;
    } else {
      return nodeLocation(source, node ?? keyNode);
    }
  }
  if (target === 'key' && keyNode) return nodeLocation(source, keyNode);
  const range = node?.range;
  if ((!range || range[0] === range[1]) && keyNode) return nodeLocation(source, keyNode);
  return nodeLocation(source, node ?? keyNode);
}

/** The YAML node written at a path (aliases followed), or null when the path does not exist. */
export function nodeAtPath(source: YamlSource, path: ConfigPath): Node | null {
  let node: Node | null = resolveAlias(source, source.doc.contents as Node | null);
  for (const segment of path) {
    if (isMap(node)) node = (pairAt(source, node, String(segment))?.value as Node | null) ?? null;
    else if (isSeq(node) && typeof segment === 'number') node = (node.items[segment] as Node) ?? null;
    else return null;
    node = resolveAlias(source, node);
  }
  return node;
}

export function resolveAlias(source: YamlSource, node: Node | null): Node | null {
  if (node && isAlias(node)) return source.aliases.get(node) ?? null;
  return node;
}

/** The first pair of a map with this key, through an index built once per map. */
function pairAt(source: YamlSource, map: YAMLMap, key: string): Pair | undefined {
  let index = source.pairIndex.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items as Pair[]) {
      const name = mapKey(pair.key as Node | null);
      if (!index.has(name)) index.set(name, pair);
    }
    source.pairIndex.set(map, index);
  }
  return index.get(key);
}

/** The value at a path of a plain JS value (undefined when absent); only own properties count. */
export function valueAtPath(value: unknown, path: ConfigPath): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** `strategies[0].param_grid.take_profit_pct` — how a path is shown to researchers. */
export function formatPath(path: ConfigPath): string {
  let text = '';
  for (const segment of path) {
    text += typeof segment === 'number' ? `[${segment}]` : text === '' ? segment : `.${segment}`;
  }
  return text;
}
