import { isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import type { ConfigLayer } from './layers.js';
import { type ConfigPath, nodeAtPath, resolveAlias } from './locate.js';
import { pythonFloatRepr } from './python-float.js';
import type { JsonValue, StrategySpec } from './types.js';
import type { YamlSource } from './yaml-source.js';
import { isFloatScalar, mapKey } from './yaml-value.js';

/**
 * JSON text of a value as it was written, where `JSON.stringify` of the parsed value would
 * say something else: a float keeps its float form as Python writes it (`5.0`, `-0.0`,
 * `1e-05`) and a map keeps its written key order (JavaScript objects put keys like `2`
 * before `b`). Undefined when JSON.stringify already gives the written form, which is the
 * common case, so specs only carry texts where they matter.
 */
export function writtenJsonText(layer: ConfigLayer, path: ConfigPath, value: unknown): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  const node = nodeAtPath(layer.source, [...layer.path, ...path]);
  if (node === null) return undefined;
  const text = nodeJson(layer.source, node);
  return text === JSON.stringify(value) ? undefined : text;
}

function nodeJson(source: YamlSource, written: Node | null): string {
  const node = resolveAlias(source, written);
  if (isScalar(node)) {
    const value = node.value;
    if (typeof value === 'number' && Number.isFinite(value)) {
      return isFloatScalar(node) ? pythonFloatRepr(value) : JSON.stringify(value);
    }
    return JSON.stringify(value ?? null) ?? 'null';
  }
  if (isSeq(node)) return `[${node.items.map((item) => nodeJson(source, item as Node | null)).join(',')}]`;
  if (isMap(node)) {
    const seen = new Set<string>();
    const entries: string[] = [];
    for (const pair of node.items as Pair[]) {
      const key = mapKey(pair.key as Node | null);
      if (seen.has(key)) continue;
      seen.add(key);
      entries.push(`${JSON.stringify(key)}:${nodeJson(source, pair.value as Node | null)}`);
    }
    return `{${entries.join(',')}}`;
  }
  return 'null';
}

/** JSON text of a parameter value as the strategy's container gets it (see StrategySpec.written_json). */
export function parameterJson(strategy: StrategySpec, key: string, value: JsonValue): string {
  const texts = strategy.written_json?.parameters;
  return (texts && Object.hasOwn(texts, key) ? texts[key] : undefined) ?? JSON.stringify(value);
}

/** JSON text of the `position`-th value of a grid axis. */
export function gridValueJson(strategy: StrategySpec, key: string, position: number): string {
  const texts = strategy.written_json?.param_grid;
  const axis = texts && Object.hasOwn(texts, key) ? texts[key] : undefined;
  const text = axis && Object.hasOwn(axis, position) ? axis[position] : undefined;
  return text ?? JSON.stringify(strategy.param_grid[key]?.[position] ?? null);
}

/**
 * JSON text of every parameter of one run, in `run.params` order, given the run's place in
 * its strategy (0-based): grid values by their axis position, the rest as set directly.
 */
export function runParamJson(
  strategy: StrategySpec,
  runInStrategy: number,
  params: Readonly<Record<string, JsonValue>>,
): [string, string][] {
  const axes = Object.keys(strategy.param_grid);
  const positions = new Map<string, number>();
  let rest = runInStrategy;
  for (let i = axes.length - 1; i >= 0; i -= 1) {
    const key = axes[i] as string;
    const length = strategy.param_grid[key]?.length ?? 1;
    positions.set(key, rest % length);
    rest = Math.floor(rest / length);
  }
  return Object.entries(params).map(([key, value]) => {
    const position = positions.get(key);
    if (position !== undefined) return [key, gridValueJson(strategy, key, position)];
    if (key === 'strategy_class' || key === 'start_date' || key === 'end_date')
      return [key, JSON.stringify(value)];
    return [key, parameterJson(strategy, key, value)];
  });
}

/** `{"a":1,"b":5.0}`: the JSON object of [key, JSON text] entries, in their order. */
export function jsonObjectText(entries: readonly [string, string][]): string {
  return `{${entries.map(([key, text]) => `${JSON.stringify(key)}:${text}`).join(',')}}`;
}
