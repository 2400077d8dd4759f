import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ControllerConfigFile } from '../../src/controller/controller-config.js';
import { chartDir } from './helm.js';

/**
 * The chart's `config` values are the controller config file. Keep the two schemas in step:
 * every key the controller accepts is accepted by the chart (and only those), except what
 * the chart sets itself (http, cache_dir) and secrets, which come from Secret references.
 */
const CHART_OWNED = new Set(['http', 'cache_dir', 'token', 'webhook_secret', 'private_key_path']);

type Schema = { properties?: Record<string, Schema>; anyOf?: Schema[]; $ref?: string };

function keyPaths(schema: Schema, prefix: string, defs: Record<string, Schema>): string[] {
  const resolved = schema.$ref ? (defs[schema.$ref.split('/').pop() as string] ?? schema) : schema;
  const props = resolved.properties ?? resolved.anyOf?.find((s) => s.properties)?.properties;
  if (!props) return [];
  return Object.entries(props).flatMap(([key, sub]) =>
    CHART_OWNED.has(key) ? [] : [`${prefix}${key}`, ...keyPaths(sub, `${prefix}${key}.`, defs)],
  );
}

describe('chart values schema vs controller config schema', () => {
  it('accept the same controller config keys', () => {
    const controller = z.toJSONSchema(ControllerConfigFile, { io: 'input' }) as Schema & {
      $defs?: Record<string, Schema>;
    };
    const values = JSON.parse(readFileSync(`${chartDir}/values.schema.json`, 'utf8')) as Schema & {
      definitions: Record<string, Schema>;
    };
    const chartConfig = values.properties?.config as Schema;
    const chartKeys = keyPaths(chartConfig, '', values.definitions);
    expect(chartKeys.length).toBeGreaterThan(30);
    expect(chartKeys.sort()).toEqual(keyPaths(controller, '', controller.$defs ?? {}).sort());
  });
});
