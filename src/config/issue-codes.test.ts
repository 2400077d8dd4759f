import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ISSUE_CODES } from './issue-codes.js';

describe('issue codes', () => {
  it('are kebab-case', () => {
    for (const code of Object.keys(ISSUE_CODES)) expect(code).toMatch(/^[a-z0-9]+(-[a-z0-9]+)+$/);
  });

  it('are all documented in examples/README.md with their meaning', () => {
    const readme = readFileSync(
      join(dirname(fileURLToPath(import.meta.url)), '../../examples/README.md'),
      'utf8',
    );
    for (const [code, meaning] of Object.entries(ISSUE_CODES)) {
      expect(readme, code).toContain(`| \`${code}\` | ${meaning.replace(/\|/g, '\\|')} |`);
    }
  });
});
