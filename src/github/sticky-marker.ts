/** Hidden markers in our PR comments: who wrote it, and for which head SHA. */
export const STICKY_MARKER = '<!-- backtest-gitops:sticky -->';

/**
 * Read only where we write it: the line after the sticky marker (or the first line), so a
 * marker quoted from user text further down (a code span, a rendered file) is never read.
 */
const HEAD_MARKER = /^(?:<!-- backtest-gitops:sticky -->\n)?<!-- backtest-gitops:head=([0-9a-f]{40,64}) -->/;

/** The comment body as stored: the sticky marker first, so we can find it again. */
export function withStickyMarker(body: string): string {
  return body.startsWith(STICKY_MARKER) ? body : `${STICKY_MARKER}\n${body}`;
}

export function isStickyComment(body: string | null | undefined): boolean {
  return typeof body === 'string' && body.includes(STICKY_MARKER);
}

/** The marker recording the head SHA a comment reports, so a restart does not repost. */
export function headMarker(sha: string): string {
  return `<!-- backtest-gitops:head=${sha} -->`;
}

export function reportedHead(body: string): string | null {
  return HEAD_MARKER.exec(body)?.[1] ?? null;
}

/** Read only where we write it: the last line of the comment. */
const BASE_MARKER = /<!-- backtest-gitops:base=([0-9A-Za-z./]{1,200}) -->\n?$/;

/**
 * The marker recording what a comment's check was against besides the head (the default
 * branch it was merged onto, what was deployed), so a restart re-checks only when that moved.
 * Comments written before this marker existed have none: `reportedBase` gives null.
 */
export function baseMarker(key: string): string {
  return `<!-- backtest-gitops:base=${key} -->`;
}

export function reportedBase(body: string): string | null {
  return BASE_MARKER.exec(body)?.[1] ?? null;
}

/** The body with its base marker removed (to compare two reports regardless of their base). */
export function withoutBaseMarker(body: string): string {
  return body.replace(BASE_MARKER, '');
}
