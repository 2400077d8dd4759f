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

  it('carries what editors use: $id, required keys, defaults, schedule presets, calendar dates, named $defs', () => {
    const schema = configJsonSchema();
    expect(schema.$id).toBe('urn:backtest-gitops:schema:backtest:v1');
    expect(settingsJsonSchema().$id).toBe('urn:backtest-gitops:schema:backtest-gitops:v1');
    expect(Object.keys(schema.$defs as object)).toEqual(['callbacks', 'json_value', 'strategy']);
    expect(Object.keys(settingsJsonSchema().$defs as object)).toEqual([
      'airflow_variables',
      'config_defaults',
      'json_value',
    ]);
    expect(JSON.stringify([schema, settingsJsonSchema()])).not.toContain('__schema');
    const properties = schema.properties as Record<string, { default?: unknown }>;
    expect(properties.retries?.default).toBe(2);
    expect(properties.initial_capital?.default).toBe(1_000_000);
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    const base = { strategy_class: 'S', start_date: '2022-01-01', end_date: '2022-12-31' };
    expect(validate(base)).toBe(true);
    // strategy_class and the dates may come from backtest-gitops.yaml's defaults, which an editor
    // cannot see: a file without them is accepted here (validate checks them after layering).
    expect(validate({ start_date: '2022-01-01', end_date: '2022-12-31' })).toBe(true);
    expect(validate({ factors: ['DebtToEquity'] })).toBe(true);
    expect(schema.required).toBeUndefined();
    expect(schema).not.toHaveProperty('then');
    expect(
      validate({
        start_date: '2022-01-01',
        end_date: '2022-12-31',
        strategies: [{ name: 'a', strategy_class: 'S' }],
      }),
    ).toBe(true);
    expect(validate({ ...base, strategies: [{ strategy_class: 'S' }] })).toBe(false);
    // Impossible dates, as validate rejects them; 29 February only in leap years.
    for (const date of ['2023-02-30', '2023-02-29', '2022-13-01', '2022-04-31', '1900-02-29']) {
      expect(validate({ ...base, start_date: date }), date).toBe(false);
    }
    for (const date of ['2024-02-29', '2000-02-29', '2022-12-31']) {
      expect(validate({ ...base, start_date: date }), date).toBe(true);
    }
    expect(validate({ ...base, schedule: '@daily' })).toBe(true);
    expect(validate({ ...base, schedule: '0 6 * * 1-5' })).toBe(true);
    expect(validate({ ...base, schedule: 'every day' })).toBe(false);
  });

  it('documents every field for editor hovers', () => {
    const properties = configJsonSchema().properties as Record<string, { description?: string }>;
    for (const [key, property] of Object.entries(properties)) {
      expect(property.description, key).toBeTruthy();
    }
  });
});
