import type { ConfigPath } from './locate.js';
import { locatePath } from './locate.js';
import type { SourceLocation } from './types.js';
import type { YamlSource } from './yaml-source.js';

/**
 * One level of configuration with where it was written. A strategy's effective values come
 * from, lowest first: repo defaults, environment defaults, the file's top level, the
 * strategy entry. Keeping the source with each level lets an error point at the line that
 * set the value, even when that line is in backtest-gitops.yaml.
 */
export interface ConfigLayer {
  source: YamlSource;
  path: ConfigPath;
  data: Readonly<Record<string, unknown>>;
}

export interface Picked<T = unknown> {
  value: T;
  layer: ConfigLayer;
}

/** The value of `key` from the most specific layer that sets it (null counts as set). */
export function pickValue(layers: readonly ConfigLayer[], key: string): Picked | undefined {
  for (let i = layers.length - 1; i >= 0; i -= 1) {
    const layer = layers[i] as ConfigLayer;
    const value = Object.hasOwn(layer.data, key) ? layer.data[key] : undefined;
    if (value !== undefined) return { value, layer };
  }
  return undefined;
}

/**
 * Merges a map-valued key (params, param_grid, callbacks) key by key over the layers:
 * a more specific layer replaces single entries, the rest is inherited. Order: first
 * appearance. Returns each entry with the layer that set it. `null` clears what lower
 * layers set: the whole map (`params: null`) or one entry (`params: {x: null}`). An entry
 * that is null with nothing to clear is kept as null when `keepNull` (a params value may be
 * None), else dropped.
 */
export function mergeMapValue(
  layers: readonly ConfigLayer[],
  key: string,
  keepNull = false,
): Map<string, Picked> {
  const merged = new Map<string, Picked>();
  for (const layer of layers) {
    if (!Object.hasOwn(layer.data, key)) continue;
    const map = layer.data[key];
    if (map === null) merged.clear();
    if (map === null || typeof map !== 'object' || Array.isArray(map)) continue;
    for (const [entryKey, value] of Object.entries(map as Record<string, unknown>)) {
      if (value === undefined) continue;
      if (value === null && (merged.has(entryKey) || !keepNull)) merged.delete(entryKey);
      else merged.set(entryKey, { value, layer });
    }
  }
  return merged;
}

export function locateInLayer(
  layer: ConfigLayer,
  path: ConfigPath,
  target: 'key' | 'value' = 'value',
): SourceLocation {
  return locatePath(layer.source, [...layer.path, ...path], target);
}
