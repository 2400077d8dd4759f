import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIssueCode } from './issue-codes.js';
import { loadConfigRepo } from './load-config-repo.js';
import type { ConfigRepoResult } from './types.js';

const examples = join(dirname(fileURLToPath(import.meta.url)), '../../examples/backtests');
const seeds = ['factor_comparison.yaml', 'mixed_grid.yaml', 'with_callbacks.yaml'].map((name) =>
  readFileSync(join(examples, name), 'utf8'),
);

/** Every issue is well-formed and inside the file it names; invalid files yield no spec. */
function expectWellFormed(result: ConfigRepoResult, texts: ReadonlyMap<string, string>): void {
  for (const issue of result.issues) {
    expect(isIssueCode(issue.code), issue.code).toBe(true);
    expect(issue.message.length).toBeGreaterThan(0);
    const text = texts.get(issue.file);
    expect(text, issue.file).toBeDefined();
    const lines = (text ?? '').split('\n');
    expect(issue.line).toBeGreaterThanOrEqual(1);
    expect(issue.line).toBeLessThanOrEqual(lines.length);
    expect(issue.column).toBeGreaterThanOrEqual(1);
    expect(issue.column).toBeLessThanOrEqual((lines[issue.line - 1] ?? '').length + 1);
  }
  for (const spec of result.specs) expect(result.invalidFiles).not.toContain(spec.source);
  expect(result.specs.length + result.invalidFiles.length).toBe(texts.size);
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), text: fc.string({ maxLength: 12 }) }),
  fc.record({ kind: fc.constant('indent' as const), at: fc.nat() }),
);

function mutate(text: string, mutations: { kind: string; at: number; text?: string }[]): string {
  const lines = text.split('\n');
  for (const m of mutations) {
    const i = m.at % lines.length;
    const line = lines[i] ?? '';
    if (m.kind === 'delete') lines.splice(i, 1);
    else if (m.kind === 'duplicate') lines.splice(i, 0, line);
    else if (m.kind === 'indent') lines[i] = ` ${line}`;
    else {
      const col = m.at % (line.length + 1);
      lines[i] = line.slice(0, col) + (m.text ?? '') + line.slice(col + 1);
    }
    if (lines.length === 0) lines.push('');
  }
  return lines.join('\n');
}

describe('loadConfigRepo robustness', () => {
  it('never throws on arbitrary text, and locates every issue inside the file', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
        const files = new Map([['backtests/x.yaml', text]]);
        expectWellFormed(loadConfigRepo(files), files);
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  it('never throws on mutated valid configs, and locates every issue inside the file', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (seed, mutations) => {
          const files = new Map([
            ['backtests/x.yaml', mutate(seed, mutations)],
            ['backtests/y.yaml', seed],
          ]);
          expectWellFormed(loadConfigRepo(files), files);
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);
});
