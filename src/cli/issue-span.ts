import { isNode, type Node, parseDocument, visit } from 'yaml';
import { linePosition, lineStarts } from '../config/line-index.js';

/** Where an issue's offending node ends: 1-based line, and the column just past its last character. */
export interface SpanEnd {
  endLine: number;
  endColumn: number;
}

/**
 * One file's text, indexed once for every diagnostic printed about it: its lines, their
 * start offsets and where each YAML node starting at an offset ends. Issues carry only
 * their start, so the end needs a parse; doing that parse (and the line split) per issue
 * made printing 9,000 issues of one file quadratic, so it happens once, on first use.
 */
export class SourceSpans {
  readonly text: string;
  #starts: number[] | undefined;
  #lines: string[] | undefined;
  #nodeEnds: Map<number, number> | undefined;

  constructor(text: string) {
    this.text = text;
  }

  /** The text of a 1-based line, without its line end; undefined past the last line. */
  lineText(line: number): string | undefined {
    this.#lines ??= this.text.split('\n');
    return this.#lines[line - 1]?.replace(/\r$/, '');
  }

  /**
   * The end of the YAML node that starts where an issue points (a key, a value, a whole
   * mapping). When no node starts there (a syntax error), the span is the token at that
   * place, at least one character.
   */
  spanAt(line: number, column: number): SpanEnd {
    this.#starts ??= lineStarts(this.text);
    const starts = this.#starts;
    const lineStart = starts[line - 1];
    if (lineStart === undefined) return { endLine: line, endColumn: column + 1 };
    // Columns do not count a byte-order mark (see locationAt in config/yaml-source.ts).
    const bom = line === 1 && this.text.startsWith('\uFEFF') ? 1 : 0;
    const offset = lineStart + column - 1 + bom;
    const end = this.#nodeEndAt(offset) ?? tokenEnd(this.text, offset);
    const last = linePosition(starts, Math.max(offset, end - 1));
    return { endLine: last.line, endColumn: last.column + 1 - (last.line === 1 ? bom : 0) };
  }

  #nodeEndAt(offset: number): number | null {
    this.#nodeEnds ??= innermostNodeEnds(this.text);
    const best = this.#nodeEnds.get(offset);
    if (best === undefined) return null;
    // A block node's range runs on past trailing blank lines and comments; end at its last character.
    let end = best;
    while (end > offset + 1 && /\s/.test(this.text[end - 1] ?? '')) end -= 1;
    return end;
  }
}

/** The end of one issue's node; for many issues of one file, use one SourceSpans. */
export function issueSpan(text: string, line: number, column: number): SpanEnd {
  return new SourceSpans(text).spanAt(line, column);
}

/**
 * For every offset where a node starts, the end of the innermost (shortest) node starting
 * there: a key rather than its whole map. One parse and one walk of the whole file.
 */
function innermostNodeEnds(text: string): Map<number, number> {
  const ends = new Map<number, number>();
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { schema: 'core', customTags: [], uniqueKeys: false, prettyErrors: false });
  } catch (error) {
    // The parser gives up on absurd input (stack depth): fall back to token spans.
    if (error instanceof RangeError) return ends;
    throw error;
  }
  visit(doc, {
    Node(_key, node) {
      if (!isNode(node)) return;
      const range = (node as Node).range;
      if (!range || range[1] <= range[0]) return;
      const known = ends.get(range[0]);
      if (known === undefined || range[1] < known) ends.set(range[0], range[1]);
    },
  });
  return ends;
}

function tokenEnd(text: string, offset: number): number {
  let end = offset;
  while (end < text.length && !/[\s:,[\]{}#]/.test(text[end] ?? ' ')) end += 1;
  return Math.max(end, Math.min(offset + 1, text.length + 1));
}
