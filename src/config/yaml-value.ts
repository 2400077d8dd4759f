import { type Alias, isAlias, isMap, isScalar, isSeq, type Node, type Pair, type Scalar } from 'yaml';
import { configError, fileStart } from './issues.js';
import { MAX_ALIAS_COUNT, MAX_ALIAS_EXPANDED_NODES, MAX_NESTING_DEPTH } from './limits.js';
import { storableTextProblem } from './storable-text.js';
import type { ConfigIssue, SourceLocation } from './types.js';
import { FLOAT_TAG, locationAt, nodeLocation, type YamlSource } from './yaml-source.js';

/** Tags of the YAML 1.2 core schema; any other explicit tag (`!!python/object`, `!!binary`) is refused. */
const CORE_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((name) => `tag:yaml.org,2002:${name}`),
);

/** Integers of the core schema (`12`, `0o17`, `0x1F`); any other number is a float. */
const CORE_INT = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/;

/**
 * Turns a parsed YAML document into a plain value in one linear pass, checking on the way
 * what the parser does not: duplicate keys (the parser's own check is quadratic), keys that
 * are not scalars, non-core tags, aliases (unknown, cyclic, or expanding to too much data),
 * nesting depth, integers a double cannot hold exactly, and strings a PostgreSQL-backed
 * Airflow cannot store. Maps become plain objects whose keys are all own properties, even
 * `__proto__`. Aliases share the value of their anchor (never copied), so the work here is
 * proportional to the file; the expansion budget bounds the work of later walks.
 */
export function yamlToValue(source: YamlSource): { value: unknown; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const anchors = new Map<string, Node>();
  const inProgress = new Set<Node>();
  const done = new Map<Node, { value: unknown; size: number }>();
  let aliasUses = 0;
  let expanded = 0;
  let aliasLimitReported = false;
  let tooDeepReported = false;

  const at = (node: Node | null | undefined): SourceLocation => nodeLocation(source, node);

  function convert(node: Node | null, depth: number): { value: unknown; size: number } {
    if (node === null || node === undefined) return { value: null, size: 1 };
    if (isAlias(node)) return convertAlias(node);
    const tag = (node as { tag?: string }).tag;
    if (tag !== undefined && !CORE_TAGS.has(tag)) {
      issues.push(customTagIssue(tagLocation(source, node), tag));
      return { value: null, size: 1 };
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) anchors.set(anchor, node);
    if (isScalar(node)) return remember(node, { value: scalarValue(node), size: 1 });
    if ((isMap(node) || isSeq(node)) && depth >= MAX_NESTING_DEPTH) {
      if (!tooDeepReported) {
        tooDeepReported = true;
        issues.push(
          configError(
            at(node),
            'yaml-too-deep',
            `maps and lists are nested more than ${MAX_NESTING_DEPTH} levels deep`,
          ),
        );
      }
      return { value: null, size: 1 };
    }
    inProgress.add(node);
    try {
      if (isSeq(node)) {
        const list: unknown[] = [];
        let size = 1;
        for (const item of node.items) {
          const child = convert(item as Node | null, depth + 1);
          list.push(child.value);
          size += child.size;
        }
        return remember(node, { value: list, size });
      }
      if (isMap(node)) return remember(node, convertMap(node.items as Pair[], depth));
      return { value: null, size: 1 };
    } finally {
      inProgress.delete(node);
    }
  }

  function remember(node: Node, result: { value: unknown; size: number }) {
    if ((node as { anchor?: string }).anchor) done.set(node, result);
    return result;
  }

  function convertMap(pairs: readonly Pair[], depth: number): { value: unknown; size: number } {
    const map: Record<string, unknown> = {};
    const seen = new Map<string, Node | null>();
    let size = 1;
    for (const pair of pairs) {
      const keyNode = pair.key as Node | null;
      if (keyNode !== null && !isScalar(keyNode)) {
        issues.push(
          configError(at(keyNode), 'invalid-key', 'map keys must be plain names, not lists or maps'),
        );
        continue;
      }
      if (keyNode !== null) convert(keyNode, depth + 1); // tag, anchor and text checks of the key
      const key = mapKey(keyNode);
      const first = seen.get(key);
      if (first !== undefined) {
        issues.push(
          configError(
            keyNode ? at(keyNode) : at(pair.value as Node | null),
            'duplicate-key',
            `duplicate key \`${key}\`: it already appears on line ${at(first ?? (pair.value as Node | null)).line}`,
            'remove one of them, or merge their values',
          ),
        );
        continue;
      }
      seen.set(key, keyNode);
      const child = convert(pair.value as Node | null, depth + 1);
      setOwn(map, key, child.value);
      size += child.size;
    }
    return { value: map, size };
  }

  function convertAlias(node: Alias): { value: unknown; size: number } {
    const target = anchors.get(node.source);
    if (!target) {
      issues.push(
        configError(
          at(node),
          'yaml-unknown-alias',
          `the alias *${node.source} refers to no anchor &${node.source} before it`,
        ),
      );
      return { value: null, size: 1 };
    }
    source.aliases.set(node, target);
    if (inProgress.has(target)) {
      issues.push(configError(at(node), 'yaml-alias-cycle', 'this alias refers to a value that contains it'));
      return { value: null, size: 1 };
    }
    const result = done.get(target) ?? { value: null, size: 1 };
    aliasUses += 1;
    expanded += result.size;
    if (aliasUses > MAX_ALIAS_COUNT || expanded > MAX_ALIAS_EXPANDED_NODES) {
      if (!aliasLimitReported) {
        aliasLimitReported = true;
        issues.push(
          configError(
            fileStart(source.file),
            'yaml-alias-limit',
            `the file's aliases expand to more than ${MAX_ALIAS_COUNT} uses or ${MAX_ALIAS_EXPANDED_NODES.toLocaleString('en-US')} values`,
            'write the values out instead, or use fewer aliases',
          ),
        );
      }
      return { value: null, size: 1 };
    }
    return result;
  }

  function scalarValue(node: Scalar): unknown {
    const value = node.value;
    if (typeof value === 'string') {
      checkText(node, value);
    } else if (typeof value === 'number' && Number.isFinite(value) && !isFloatScalar(node)) {
      if (!Number.isSafeInteger(value)) {
        issues.push(
          configError(
            at(node),
            'unsafe-integer',
            `the integer ${String(node.source ?? value)} is too large to keep exactly (more than 2^53)`,
            `quote it to pass it as text: "${String(node.source ?? value)}"`,
          ),
        );
      }
    }
    return value;
  }

  function checkText(node: Node, text: string): void {
    const problem = storableTextProblem(text);
    if (problem !== null) {
      issues.push(
        configError(
          at(node),
          'unstorable-text',
          `this text holds ${problem}, which Airflow's metadata database (PostgreSQL) cannot store`,
          'remove the character (a \\0 or \\uD800-style escape in a double-quoted string)',
        ),
      );
    }
  }

  const value = convert(source.doc.contents as Node | null, 0).value;
  return { value, issues };
}

/** True for a scalar the core schema reads as a float (`5.0`, `1e3`, `!!float 1`), not an int. */
export function isFloatScalar(node: Scalar): boolean {
  if (typeof node.value !== 'number') return false;
  if (node.tag === FLOAT_TAG) return true;
  if (node.tag !== undefined) return false;
  return !CORE_INT.test(String(node.source ?? ''));
}

/** The property name a map key becomes (null key: empty string), as the YAML library names it. */
export function mapKey(keyNode: Node | null): string {
  if (keyNode === null) return '';
  const value = isScalar(keyNode) ? keyNode.value : null;
  return value === null || value === undefined ? '' : String(value);
}

/** Sets `key` as an own data property, even when it is `__proto__`. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

export function customTagIssue(at: SourceLocation, tag: string): ConfigIssue {
  return configError(
    at,
    'yaml-custom-tag',
    `the YAML tag ${tag} is not allowed`,
    'configs are plain data: remove the tag (only strings, numbers, booleans, null, lists and maps)',
  );
}

/** Where the tag of a tagged node was written (the node's range starts after the tag). */
function tagLocation(source: YamlSource, node: Node): SourceLocation {
  const start = node.range?.[0] ?? 0;
  const lineStart = source.text.lastIndexOf('\n', start) + 1;
  let bang = source.text.lastIndexOf('!', start);
  while (bang > lineStart && source.text[bang - 1] === '!') bang -= 1;
  return locationAt(source, bang >= lineStart ? bang : start);
}
