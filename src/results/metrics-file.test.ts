import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { metricsJsonSchema } from './metrics-file.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

describe('metrics.json JSON Schema', () => {
  it('schema/metrics.schema.json is current (regenerate: npx tsx src/cli/main.ts schema --metrics > schema/metrics.schema.json)', () => {
    expect(readFileSync(join(root, 'schema/metrics.schema.json'), 'utf8')).toBe(
      `${JSON.stringify(metricsJsonSchema(), null, 2)}\n`,
    );
  });

  it('documents every field', () => {
    const properties = metricsJsonSchema().properties as Record<string, { description?: string }>;
    for (const [name, field] of Object.entries(properties)) expect(field.description, name).toBeTruthy();
  });
});
