import {
  type Document,
  type DocumentOptions,
  isAlias,
  isCollection,
  isMap,
  isScalar,
  type Node,
  type ParseOptions,
  parseDocument,
  type SchemaOptions,
  visit,
} from 'yaml';
import { configError, fileStart } from './issues.js';
import { MAX_ALIAS_COUNT, MAX_CONFIG_FILE_BYTES, MAX_NESTING_DEPTH } from './limits.js';
import { linePosition, lineStarts } from './line-index.js';
import type { ConfigIssue, SourceLocation } from './types.js';

/** A parsed YAML file with what is needed to turn node offsets into line and column. */
export interface YamlSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  /** Offsets where lines start (see line-index.ts). */
  lines: number[];
}

export type ParsedYaml =
  | { ok: true; source: YamlSource; value: unknown }
  | { ok: false; issues: ConfigIssue[] };

/** Tags of the YAML 1.2 core schema; any other explicit tag (`!!python/object`, `!!binary`) is refused. */
const CORE_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((name) => `tag:yaml.org,2002:${name}`),
);

const PARSE_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  schema: 'core',
  customTags: [],
  uniqueKeys: true,
  prettyErrors: false,
};

/**
 * Parses one YAML file safely: bounded size, YAML 1.2 core schema only (`no`, `on`, dates
 * stay strings), no custom tags, bounded alias expansion and nesting, unique keys. Returns
 * the plain value, or every problem found with its location.
 */
export function parseYamlSource(file: string, text: string): ParsedYaml {
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_FILE_BYTES) {
    return failed(
      configError(
        fileStart(file),
        'file-too-large',
        `the file is larger than ${MAX_CONFIG_FILE_BYTES / 1024} KiB`,
        'a backtest config is a few dozen lines; split very large grids into several configs',
      ),
    );
  }
  if (text.includes('\u0000') || text.includes('\uFFFD')) {
    return failed(
      configError(
        fileStart(file),
        'invalid-encoding',
        'the file is not UTF-8 text',
        'save the file as UTF-8',
      ),
    );
  }
  const doc = parseDocument(text, PARSE_OPTIONS);
  const source: YamlSource = { file, text, doc, lines: lineStarts(text) };
  const issues = firstSyntaxErrorOnly(
    [...doc.errors, ...doc.warnings].map((e) => yamlProblem(source, e.code, e.message, e.pos[0])),
  );
  if (issues.length > 0) return { ok: false, issues };
  const unsafe = unsafeNodeIssues(source);
  if (unsafe.length > 0) return { ok: false, issues: unsafe };
  try {
    return { ok: true, source, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (err) {
    return failed(
      configError(
        fileStart(file),
        'yaml-alias-limit',
        `the file expands too many aliases (${err instanceof Error ? err.message : String(err)})`,
        `use at most ${MAX_ALIAS_COUNT} alias expansions; write the values out instead`,
      ),
    );
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
    case 'DUPLICATE_KEY':
      return duplicateKeyIssue(source, at, start);
    case 'TAG_RESOLVE_FAILED':
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

/** Names the repeated key and the line where it first appears, as a reader needs to fix it. */
function duplicateKeyIssue(source: YamlSource, at: SourceLocation, offset: number): ConfigIssue {
  let key: string | null = null;
  let firstLine: number | null = null;
  visit(source.doc, {
    Map(_key, map) {
      const repeated = map.items.find((pair) => isScalar(pair.key) && pair.key.range?.[0] === offset);
      if (!repeated || !isScalar(repeated.key)) return undefined;
      const value = repeated.key.value;
      const first = map.items.find((pair) => isScalar(pair.key) && pair.key.value === value);
      key = String(value);
      if (first && first !== repeated) firstLine = nodeLocation(source, first.key as Node).line;
      return visit.BREAK;
    },
  });
  if (key === null) {
    return configError(
      at,
      'duplicate-key',
      'this key appears twice in the same mapping',
      'remove one of them',
    );
  }
  const where = firstLine === null ? 'earlier in the same mapping' : `on line ${firstLine}`;
  return configError(
    at,
    'duplicate-key',
    `duplicate key \`${key}\`: it already appears ${where}`,
    'remove one of them, or merge their values',
  );
}

function customTagIssue(at: SourceLocation, tag: string): ConfigIssue {
  return configError(
    at,
    'yaml-custom-tag',
    `the YAML tag ${tag} is not allowed`,
    'configs are plain data: remove the tag (only strings, numbers, booleans, null, lists and maps)',
  );
}

/** Node-level checks the parser does not make: tags, collection keys, alias cycles, depth. */
function unsafeNodeIssues(source: YamlSource): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  let tooDeepReported = false;
  visit(source.doc, {
    Node(_key, node, path) {
      const tag = (node as { tag?: string }).tag;
      if (tag !== undefined && !CORE_TAGS.has(tag)) {
        issues.push(customTagIssue(tagLocation(source, node), tag));
      }
      if (isMap(node)) {
        for (const pair of node.items) {
          if (pair.key !== null && !isScalar(pair.key)) {
            issues.push(
              configError(
                nodeLocation(source, pair.key as Node),
                'invalid-key',
                'map keys must be plain names, not lists or maps',
              ),
            );
          }
        }
      }
      if (isAlias(node)) {
        const target = node.resolve(source.doc);
        if (!target) {
          issues.push(
            configError(
              nodeLocation(source, node),
              'yaml-unknown-alias',
              `the alias *${node.source} refers to no anchor &${node.source} before it`,
            ),
          );
        } else if (path.includes(target as never)) {
          issues.push(
            configError(
              nodeLocation(source, node),
              'yaml-alias-cycle',
              'this alias refers to a value that contains it',
            ),
          );
        }
      }
      if (!tooDeepReported && isCollection(node) && path.filter(isCollection).length >= MAX_NESTING_DEPTH) {
        tooDeepReported = true;
        issues.push(
          configError(
            nodeLocation(source, node),
            'yaml-too-deep',
            `maps and lists are nested more than ${MAX_NESTING_DEPTH} levels deep`,
          ),
        );
      }
    },
  });
  return issues;
}

/** Where the tag of a tagged node was written (the node's range starts after the tag). */
function tagLocation(source: YamlSource, node: Node): SourceLocation {
  const start = node.range?.[0] ?? 0;
  let bang = source.text.lastIndexOf('!', start);
  while (bang > 0 && source.text[bang - 1] === '!') bang -= 1;
  const sameLine = bang >= 0 && !source.text.slice(bang, start).includes('\n');
  return locationAt(source, sameLine ? bang : start);
}

function failed(issue: ConfigIssue): ParsedYaml {
  return { ok: false, issues: [issue] };
}
