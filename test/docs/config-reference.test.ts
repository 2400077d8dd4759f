import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigReference } from '../../scripts/config-reference.js';
import { configJsonSchema, settingsJsonSchema } from '../../src/config/index.js';

describe('docs/config-reference.md', () => {
  it('is generated from the current JSON Schema (run: npx tsx scripts/gen-config-reference.ts)', () => {
    const committed = readFileSync(new URL('../../docs/config-reference.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderConfigReference(configJsonSchema(), settingsJsonSchema()));
  });

  it('documents every top-level config key', () => {
    const committed = readFileSync(new URL('../../docs/config-reference.md', import.meta.url), 'utf8');
    const keys = Object.keys((configJsonSchema().properties ?? {}) as Record<string, unknown>);
    for (const key of keys) expect(committed).toContain(`| \`${key}\``);
  });
});
