/** Small helpers for markdown that renders safely on GitHub whatever a config contains. */

/** Escapes text for inline markdown/HTML: no tags, no mentions, no table breaks. */
export function escapeText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/@(?=\w)/g, '@\u200b') // no @mentions from config content
    .replace(/\r?\n/g, ' ');
}

/** Inline code that survives backticks inside the value. */
export function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\r?\n/g, ' ')}${pad}${fence}`;
}

/** A fenced block whose fence is longer than any backtick run in the content. */
export function fenced(lang: string, content: string): string {
  const longest = Math.max(2, ...(content.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${content.replace(/\n$/, '')}\n${fence}`;
}

/** `https://host/owner/repo/blob/<sha>/<path>#L<line>` with each path segment encoded. */
export function blobLink(
  base: { webUrl: string; owner: string; repo: string },
  sha: string,
  file: string,
  line?: number,
): string {
  const path = file.split('/').map(encodeURIComponent).join('/');
  return `${base.webUrl.replace(/\/+$/, '')}/${base.owner}/${base.repo}/blob/${sha}/${path}${line ? `#L${line}` : ''}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function short(sha: string): string {
  return sha.slice(0, 7);
}
