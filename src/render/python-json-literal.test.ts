import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toPythonJsonText } from './python-json-literal.js';

describe('toPythonJsonText', () => {
  it('is printable ASCII without quotes that could end the raw string, and decodes to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = toPythonJsonText(value);
        expect(text).not.toContain("'");
        expect([...text].every((ch) => ch === '\n' || (ch >= ' ' && ch <= '~'))).toBe(true);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { seed: 4242, numRuns: 2000 },
    );
  });

  it('escapes the characters that matter', () => {
    expect(toPythonJsonText("'''\u2028é🚀\\")).toBe(
      '"\\u0027\\u0027\\u0027\\u2028\\u00e9\\ud83d\\ude80\\\\"',
    );
  });
});
