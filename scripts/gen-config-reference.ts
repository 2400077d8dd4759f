/**
 * Generates docs/config-reference.md from the config JSON Schema, so the researcher's
 * reference can never disagree with what the validator accepts.
 *   npx tsx scripts/gen-config-reference.ts          # rewrite the file
 *   npx tsx scripts/gen-config-reference.ts --check  # exit 1 if it is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { configJsonSchema, settingsJsonSchema } from '../src/config/index.js';
import { renderConfigReference } from './config-reference.js';

const out = new URL('../docs/config-reference.md', import.meta.url);
const text = renderConfigReference(configJsonSchema(), settingsJsonSchema());
if (process.argv.includes('--check')) {
  const current = readFileSync(out, 'utf8');
  if (current !== text) {
    process.stderr.write('docs/config-reference.md is stale: run npx tsx scripts/gen-config-reference.ts\n');
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
}
