/** Small helpers for markdown that renders safely on GitHub whatever a config contains. */
import { escapeUserText, USER_TEXT_MAX } from './escape.js';

/** User text as markdown prose: the one escaping rule (see escape.ts). */
export function escapeText(text: string): string {
  return escapeUserText(text, 'text');
}

/**
 * A message of ours that quotes user values in backticks (``unknown key `stop_los_pct` ``):
 * the quoted parts become code spans, the rest prose, each escaped by the one rule; a stray
 * backtick is just text. Safe whatever the quoted values contain.
 */
export function messageText(text: string): string {
  const parts = text.slice(0, USER_TEXT_MAX).split(/`([^`\r\n]*)`/);
  let out = '';
  for (let i = 0; i < parts.length; i += 1) {
    const part = parts[i] ?? '';
    if (i % 2 === 0) out += escapeText(part);
    else if (part.trim() === '')
      out += escapeText(`\`${part}\``); // no empty code spans
    else out += `${out.endsWith('`') ? ' ' : ''}${code(part)}`; // two spans never touch
  }
  return out;
}

/** Inline code that survives backticks, line breaks and table pipes inside the value. */
export function code(text: string): string {
  const safe = escapeUserText(text, 'code');
  const fence = '`'.repeat(longestBacktickRun(safe) + 1);
  const pad = safe.startsWith('`') || safe.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${safe}${pad}${fence}`;
}

/** A fenced block whose fence is longer than any backtick run in the content. */
export function fenced(lang: string, content: string): string {
  const fence = '`'.repeat(Math.max(2, longestBacktickRun(content)) + 1);
  return `${fence}${lang}\n${content.replace(/\n$/, '')}\n${fence}`;
}

/** `https://host/owner/repo/blob/<sha>/<path>#L<line>` with each path segment encoded. */
export function blobLink(
  base: { webUrl: string; owner: string; repo: string },
  sha: string,
  file: string,
  line?: number,
): string {
  const path = file
    .split('/')
    .map((s) =>
      encodeURIComponent(s).replace(/[()'*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join('/');
  return `${base.webUrl.replace(/\/+$/, '')}/${base.owner}/${base.repo}/blob/${sha}/${path}${line ? `#L${line}` : ''}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function short(sha: string): string {
  return sha.slice(0, 7);
}

/** A loop, not `Math.max(...runs)`: a spread of 100k+ runs overflows the call stack. */
function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) if (m[0].length > longest) longest = m[0].length;
  return longest;
}
