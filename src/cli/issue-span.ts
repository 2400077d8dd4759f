import { isNode, type Node, parseDocument, visit } from 'yaml';
import { linePosition, lineStarts } from '../config/line-index.js';

/** Where an issue's offending node ends: 1-based line, and the column just past its last character. */
export interface SpanEnd {
  endLine: number;
  endColumn: number;
}

/**
 * The end of the YAML node that starts where an issue points (a key, a value, a whole
 * mapping), found by parsing the file again: issues carry only their start. When no node
 * starts there (a syntax error), the span is the token at that place, at least one character.
 */
export function issueSpan(text: string, line: number, column: number): SpanEnd {
  const starts = lineStarts(text);
  const lineStart = starts[line - 1];
  if (lineStart === undefined) return { endLine: line, endColumn: column + 1 };
  // Columns do not count a byte-order mark (see locationAt in config/yaml-source.ts).
  const bom = line === 1 && text.startsWith('\uFEFF') ? 1 : 0;
  const offset = lineStart + column - 1 + bom;
  const end = nodeEndAt(text, offset) ?? tokenEnd(text, offset);
  const last = linePosition(starts, Math.max(offset, end - 1));
  return { endLine: last.line, endColumn: last.column + 1 - (last.line === 1 ? bom : 0) };
}

function nodeEndAt(text: string, offset: number): number | null {
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { schema: 'core', customTags: [], uniqueKeys: false, prettyErrors: false });
  } catch {
    return null;
  }
  let best: number | null = null;
  visit(doc, {
    Node(_key, node) {
      const range = (node as Node).range;
      if (!isNode(node) || !range || range[0] !== offset || range[1] <= offset) return;
      // The innermost node starting here is the shortest: a key rather than its whole map.
      if (best === null || range[1] < best) best = range[1];
    },
  });
  if (best === null) return null;
  // A block node's range runs on past trailing blank lines and comments; end at its last character.
  let end: number = best;
  while (end > offset + 1 && /\s/.test(text[end - 1] ?? '')) end -= 1;
  return end;
}

function tokenEnd(text: string, offset: number): number {
  let end = offset;
  while (end < text.length && !/[\s:,[\]{}#]/.test(text[end] ?? ' ')) end += 1;
  return Math.max(end, Math.min(offset + 1, text.length + 1));
}
