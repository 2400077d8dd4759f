import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configJsonSchema, settingsJsonSchema } from './json-schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const committed = (name: string) => readFileSync(join(root, 'schema', name), 'utf8');
const pretty = (schema: unknown) => `${JSON.stringify(schema, null, 2)}\n`;

describe('JSON Schema', () => {
  it('schema/backtest.schema.json is current (regenerate: npx tsx src/cli/main.ts schema > schema/backtest.schema.json)', () => {
    expect(committed('backtest.schema.json')).toBe(pretty(configJsonSchema()));
  });

  it('schema/backtest-gitops.schema.json is current (regenerate: npx tsx src/cli/main.ts schema --settings > ...)', () => {
    expect(committed('backtest-gitops.schema.json')).toBe(pretty(settingsJsonSchema()));
  });

  it('accepts every example and rejects typical mistakes, as editors will', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(configJsonSchema());
    for (const name of readdirSync(join(root, 'examples/backtests'))) {
      const value = parse(readFileSync(join(root, 'examples/backtests', name), 'utf8'));
      expect(validate(value), `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
    expect(validate({ strategy_class: 'S', stop_los_pct: 5 })).toBe(false);
    expect(validate({ strategy_class: 'S', param_grid: { take_profit_pct: [] } })).toBe(false);
    expect(validate({ strategy_class: 'S', param_grid: { take_profit_pct: ['x'] } })).toBe(false);
    expect(validate({ dag_id: 'has space' })).toBe(false);
    expect(validate({ strategies: [{ name: 'a', schedule: '@daily' }] })).toBe(false);
    const validateSettings = ajv.compile(settingsJsonSchema());
    const settings = parse(readFileSync(join(root, 'examples/backtest-gitops.yaml'), 'utf8'));
    expect(validateSettings(settings), ajv.errorsText(validateSettings.errors)).toBe(true);
  });

  it('documents every field for editor hovers', () => {
    const properties = configJsonSchema().properties as Record<string, { description?: string }>;
    for (const [key, property] of Object.entries(properties)) {
      expect(property.description, key).toBeTruthy();
    }
  });
});
