/**
 * The one rule for user text (paths, keys, values, messages, branch names, import errors)
 * that reaches a PR comment, a commit status or a check-run annotation. Whatever the input,
 * the output can add no heading, link, image, mention, table cell, HTML or hidden marker:
 *
 * - `text`: markdown prose. Line breaks and control characters become spaces; `\`, `` ` ``,
 *   `|`, `[`, `]`, `!`, `<`, `>`, `&` are escaped; `@` and `#` are followed by a zero-width
 *   space (no mention, issue link or heading: GitHub resolves those after markdown escapes);
 *   `://` and `www.` are broken the same way (no autolink).
 * - `code`: the content of an inline code span (see `code()`): only line breaks, control
 *   characters, `|` (table cells split on it even inside code) and `<!--` (our markers) matter.
 * - `plain`: status descriptions and annotations, shown as plain text: one line, no controls.
 *
 * Every mode caps the length (`…` marks a cut) so no single string can crowd a comment.
 */
export type UserTextMode = 'text' | 'code' | 'plain';

export const USER_TEXT_MAX = 1000;

const ZWSP = '\u200b';
/** C0/C1 controls, line and paragraph separators, bidi overrides (trojan-source text). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we neutralise
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const TEXT_SPECIALS = /[\\`|[\]!<>&@#]|:\/\/|www\./gi;

export function escapeUserText(text: string, mode: UserTextMode = 'text', max = USER_TEXT_MAX): string {
  const line = cap(String(text).replace(CONTROLS, ' '), max);
  if (mode === 'plain') return line;
  if (mode === 'code') return line.replace(/\|/g, '\\|').replace(/<!--/g, `<${ZWSP}!--`);
  return line.replace(TEXT_SPECIALS, (m) => {
    switch (m) {
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '&':
        return '&amp;';
      case '@':
      case '#':
        return `${m}${ZWSP}`;
      default:
        if (m === '://') return `:${ZWSP}//`;
        if (m.length === 4) return `${m.slice(0, 3)}${ZWSP}.`; // www.
        return `\\${m}`;
    }
  });
}

function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never split a surrogate pair: a lone half would be replaced by GitHub with U+FFFD.
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}
