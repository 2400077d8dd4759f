import {
  type Document,
  type DocumentOptions,
  type Node,
  type Pair,
  type ParseOptions,
  parseDocument,
  type ScalarTag,
  type SchemaOptions,
} from 'yaml';
import { configError, fileStart } from './issues.js';
import { MAX_CONFIG_FILE_BYTES, MAX_NESTING_DEPTH } from './limits.js';
import { linePosition, lineStarts } from './line-index.js';
import type { ConfigIssue, SourceLocation } from './types.js';
import { customTagIssue, yamlToValue } from './yaml-value.js';

/** A parsed YAML file with what is needed to turn node offsets into line and column. */
export interface YamlSource {
  file: string;
  /** The text as parsed (CR-only line ends read as LF; same length and offsets as the file). */
  text: string;
  doc: Document.Parsed;
  /** Offsets where lines start (see line-index.ts). */
  lines: number[];
  /** Each alias node and the anchored node it refers to (filled while converting). */
  aliases: Map<Node, Node>;
  /** Per map node, its pairs by key (built on first lookup, so locating stays O(depth)). */
  pairIndex: WeakMap<Node, Map<string, Pair>>;
}

export type ParsedYaml =
  | { ok: true; source: YamlSource; value: unknown }
  | { ok: false; issues: ConfigIssue[] };

export const FLOAT_TAG = 'tag:yaml.org,2002:float';

/**
 * `!!float 1` is a float in the YAML 1.2 core schema, but the parser only resolves the tag
 * for text that already looks like a float. This explicit-only tag (no `test`, so never
 * used for untagged values) reads every core number form.
 */
const EXPLICIT_FLOAT: ScalarTag = {
  tag: FLOAT_TAG,
  resolve(text: string, onError: (message: string) => void) {
    if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
    if (/^[-+]?\.(inf|Inf|INF)$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
    if (/^\.(nan|NaN|NAN)$/.test(text)) return Number.NaN;
    onError(`!!float needs a number, got ${JSON.stringify(text)}`);
    return text;
  },
};

const PARSE_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  schema: 'core',
  customTags: [EXPLICIT_FLOAT],
  // Checked in yamlToValue in linear time; the parser's own check compares every pair.
  uniqueKeys: false,
  prettyErrors: false,
};

/** Lone surrogates in file text mark bytes that were not UTF-8 (see decodeConfigBytes). */
const NOT_UTF8 = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Parses one YAML file safely: bounded size, YAML 1.2 core schema only (`no`, `on`, dates
 * stay strings), no custom tags, bounded alias expansion and nesting, unique keys. Returns
 * the plain value, or every problem found with its location. Linear in the file size.
 */
export function parseYamlSource(file: string, fileText: string): ParsedYaml {
  if (Buffer.byteLength(fileText, 'utf8') > MAX_CONFIG_FILE_BYTES) {
    return failed(
      configError(
        fileStart(file),
        'file-too-large',
        `the file is larger than ${MAX_CONFIG_FILE_BYTES / 1024} KiB`,
        'a backtest config is a few dozen lines; split very large grids into several configs',
      ),
    );
  }
  if (fileText.includes('\u0000') || NOT_UTF8.test(fileText)) {
    return failed(
      configError(
        fileStart(file),
        'invalid-encoding',
        'the file is not UTF-8 text',
        'save the file as UTF-8',
      ),
    );
  }
  // YAML counts a lone CR as a line break; the parser does not. Same length: offsets hold.
  const text = fileText.includes('\r') ? fileText.replace(/\r(?!\n)/g, '\n') : fileText;
  const doc = parseDocument(text, PARSE_OPTIONS);
  const source: YamlSource = {
    file,
    text,
    doc,
    lines: lineStarts(text),
    aliases: new Map(),
    pairIndex: new WeakMap(),
  };
  const issues = firstSyntaxErrorOnly(
    [...doc.errors, ...doc.warnings].map((e) => yamlProblem(source, e.code, e.message, e.pos[0])),
  );
  if (issues.length > 0) return { ok: false, issues };
  const converted = yamlToValue(source);
  if (converted.issues.length > 0) return { ok: false, issues: converted.issues };
  return { ok: true, source, value: converted.value };
}

/**
 * Decodes a config file's bytes. Bytes that are not UTF-8 become lone surrogates (which no
 * UTF-8 text can hold), so parseYamlSource reports the file as not UTF-8, while a real
 * U+FFFD written in the file stays valid text.
 */
export function decodeConfigBytes(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (err) {
    // A fatal decoder throws a TypeError for bytes that are not UTF-8, and only that.
    if (!(err instanceof TypeError)) throw err;
    return `\uDC80${Buffer.from(bytes).toString('utf8')}`;
  }
}

/** 1-based line and column of a character offset in the file. */
export function locationAt(source: YamlSource, offset: number): SourceLocation {
  const clamped = Math.max(0, Math.min(offset, source.text.length));
  const { line, column } = linePosition(source.lines, clamped);
  // Editors do not count a byte-order mark as a column.
  const bom = line === 1 && column > 1 && source.text.startsWith('\uFEFF') ? 1 : 0;
  return { file: source.file, line, column: column - bom };
}

export function nodeLocation(source: YamlSource, node: Node | null | undefined): SourceLocation {
  const offset = node?.range?.[0];
  return offset === undefined ? fileStart(source.file) : locationAt(source, offset);
}

function yamlProblem(source: YamlSource, code: string, message: string, offset: number): ConfigIssue {
  // The parser may point at the indentation before a token; the token is more useful.
  let start = offset;
  while (source.text[start] === ' ' || source.text[start] === '\t') start += 1;
  const at = locationAt(source, start);
  switch (code) {
    case 'TAG_RESOLVE_FAILED':
      if (!message.startsWith('Unresolved tag: ')) return configError(at, 'invalid-type', message);
      return customTagIssue(at, message.replace(/^Unresolved tag: /, ''));
    case 'MULTIPLE_DOCS':
      return configError(
        at,
        'yaml-syntax',
        'the file holds more than one YAML document',
        'a config file is one document; remove the extra `---` line',
      );
    default:
      // The parser recurses per nesting level; thousands of `[[[[` exhaust the stack, which
      // it reports as a syntax error. Tell the researcher what is actually wrong.
      // Where the stack ran out depends on the machine, so point at the first bracket of
      // that line instead: the same place on every machine.
      if (message.includes('Maximum call stack size exceeded')) {
        const lineStart = source.text.lastIndexOf('\n', start) + 1;
        const bracket = source.text.slice(lineStart, start + 1).search(/[[{]/);
        return configError(
          locationAt(source, bracket >= 0 ? lineStart + bracket : lineStart),
          'yaml-too-deep',
          `maps and lists are nested more than ${MAX_NESTING_DEPTH} levels deep`,
        );
      }
      return configError(at, 'yaml-syntax', `YAML syntax error: ${message}`);
  }
}

/**
 * After one syntax error the parser reports a cascade of follow-on errors, one per token;
 * like a compiler, report the first. Duplicate keys and tags are independent and all kept.
 */
function firstSyntaxErrorOnly(issues: ConfigIssue[]): ConfigIssue[] {
  const firstSyntax = issues
    .filter((i) => i.code === 'yaml-syntax')
    .sort((a, b) => a.line - b.line || a.column - b.column)[0];
  return issues.filter((i) => i.code !== 'yaml-syntax' || i === firstSyntax);
}

function failed(issue: ConfigIssue): ParsedYaml {
  return { ok: false, issues: [issue] };
}
