import { z } from 'zod';
import { configFileSchema, settingsFileSchema } from './schema.js';

/**
 * The JSON Schema of a config file, generated from the zod schema so editors (via the
 * yaml-language-server modeline) complete and check exactly what `backtestctl validate`
 * accepts, minus the checks that need the whole repo (collisions, defaults, grid keys).
 */
export function configJsonSchema(): Record<string, unknown> {
  return withId(z.toJSONSchema(configFileSchema, { io: 'input', unrepresentable: 'any' }), 'backtest');
}

/** The JSON Schema of backtest-gitops.yaml. */
export function settingsJsonSchema(): Record<string, unknown> {
  return withId(
    z.toJSONSchema(settingsFileSchema, { io: 'input', unrepresentable: 'any' }),
    'backtest-gitops',
  );
}

function withId(schema: Record<string, unknown>, name: string): Record<string, unknown> {
  const { $schema, ...rest } = schema;
  return { $schema, title: name, ...rest };
}
