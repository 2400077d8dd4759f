import { z } from 'zod';
import { didYouMeanHint } from './did-you-mean.js';
import { FIELD_RULES, type FieldRule, JSON_VALUE_RULE } from './field-rules.js';
import { type IssueCode, isIssueCode } from './issue-codes.js';
import { configError } from './issues.js';
import { type ConfigPath, formatPath, locatePath, valueAtPath } from './locate.js';
import { looksLikeSecretKey } from './patterns.js';
import { isNeverFiresProblem, scheduleProblem } from './schedule.js';
import { DAG_KEYS } from './schema.js';
import type { ConfigIssue } from './types.js';
import type { YamlSource } from './yaml-source.js';

/**
 * Turns zod's issues into located, researcher-readable ConfigIssues with stable codes.
 * `schema` is the schema that was parsed: the allowed keys for did-you-mean hints are read
 * from it, so hints never drift from the schema.
 */
export function zodIssuesToConfigIssues(
  source: YamlSource,
  value: unknown,
  schema: z.ZodType,
  issues: readonly z.core.$ZodIssue[],
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
    const at = (target: 'key' | 'value', p: ConfigPath = path) => locatePath(source, p, target);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(unknownKeyIssue(at('key', [...path, key]), path, key, schema));
      continue;
    }
    if (issue.code === 'invalid_key') {
      const inner = issue.issues[0] as { params?: { code?: string } } | undefined;
      const fallback: IssueCode = path.includes('params') ? 'invalid-params-key' : 'invalid-key';
      out.push(invalidKeyIssue(at('key'), path, schemaCode(inner) ?? fallback));
      continue;
    }
    const field = lastName(path);
    const rule: FieldRule =
      (field !== undefined && Object.hasOwn(FIELD_RULES, field) ? FIELD_RULES[field] : undefined) ??
      JSON_VALUE_RULE;
    const inGrid = path.length >= 2 && path[path.length - 2] === 'param_grid';
    const expected = isListItem(path) && rule.item ? rule.item : rule.expected;
    const got = valueAtPath(value, path);
    if (inGrid && issue.code === 'invalid_type' && issue.expected === 'array') {
      out.push(
        configError(
          at('value'),
          'grid-not-a-list',
          `param_grid values are lists: \`${field}\` must be a list of values, got ${describeValue(got)}`,
          `write \`${field}: [${got === null ? '...' : JSON.stringify(got)}]\` to test one value, or more values to sweep`,
        ),
      );
    } else if (inGrid && issue.code === 'too_small') {
      out.push(
        configError(
          at('value'),
          'empty-grid',
          `param_grid \`${field}\` is an empty list, so the DAG would have no runs`,
          'give at least one value, or remove the key',
        ),
      );
    } else if (issue.code === 'invalid_type' && got === undefined) {
      out.push(
        configError(
          at('value', path.slice(0, -1)),
          'missing-key',
          `\`${formatPath(path)}\` is required`,
          field === 'name' ? 'give every strategy a unique `name:`' : undefined,
        ),
      );
    } else if (issue.code === 'invalid_type' || issue.code === 'invalid_union') {
      out.push(
        configError(
          at('value'),
          'invalid-type',
          `\`${formatPath(path)}\` must be ${expected}, got ${describeValue(got)}`,
          typeHint(got, issue) ?? rule.hint,
        ),
      );
    } else {
      const problem = field === 'schedule' && typeof got === 'string' ? scheduleProblem(got) : null;
      const code: IssueCode = isNeverFiresProblem(problem)
        ? 'schedule-never-fires'
        : field === 'strategies' && issue.code === 'too_big'
          ? 'too-many-strategies'
          : (schemaCode(issue) ?? rule.code);
      const detail = problem === null ? '' : `: ${problem}`;
      out.push(
        configError(
          at('value'),
          code,
          `\`${formatPath(path)}\` must be ${expected}, got ${describeValue(got)}${detail}`,
          rule.hint,
        ),
      );
    }
  }
  return out;
}

function unknownKeyIssue(
  at: ReturnType<typeof locatePath>,
  parentPath: ConfigPath,
  key: string,
  schema: z.ZodType,
): ConfigIssue {
  if (looksLikeSecretKey(key)) return secretKeyIssue(at, key);
  const inStrategy = parentPath.length === 2 && parentPath[0] === 'strategies';
  if (inStrategy && DAG_KEYS.includes(key)) {
    return configError(
      at,
      'dag-key-in-strategy',
      `\`${key}\` applies to the whole DAG and cannot be set per strategy`,
      `move \`${key}\` to the top level of the file`,
    );
  }
  const allowed = objectKeysAt(schema, parentPath);
  const where = parentPath.length === 0 ? '' : ` in \`${formatPath(parentPath)}\``;
  let hint = didYouMeanHint(key, allowed);
  if (hint === undefined && parentPath.length === 0 && allowed.includes('params')) {
    hint = `free-form strategy parameters go under \`params:\` (e.g. params: {${key}: ...})`;
  }
  return configError(at, 'unknown-key', `unknown key \`${key}\`${where}`, hint);
}

export function secretKeyIssue(at: ReturnType<typeof locatePath>, key: string): ConfigIssue {
  return configError(
    at,
    'secret-in-config',
    `\`${key}\` looks like a credential; secrets never go in a backtest config`,
    'store the database in an Airflow connection and refer to it with `db_conn_id: <connection id>`',
  );
}

function invalidKeyIssue(at: ReturnType<typeof locatePath>, path: ConfigPath, code: IssueCode): ConfigIssue {
  const key = String(path[path.length - 1]);
  if (code === 'secret-in-config') return secretKeyIssue(at, key);
  if (code === 'params-shadows-field') {
    return configError(
      at,
      code,
      `\`params.${key}\` has the name of a config key`,
      `set \`${key}:\` directly instead of inside params`,
    );
  }
  if (path[0] === 'environments') {
    return configError(
      at,
      'invalid-environment-name',
      `environment name \`${key}\` must be lowercase letters, digits, _ and -, starting with a letter`,
    );
  }
  return configError(
    at,
    code,
    `\`${key}\` is not a valid parameter name`,
    'params names are snake_case: lowercase letters, digits and _, starting with a letter',
  );
}

/** Keys allowed at a path of an object schema (for did-you-mean), read from the schema itself. */
export function objectKeysAt(schema: z.ZodType, path: ConfigPath): string[] {
  let current: z.ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    if (current instanceof z.ZodObject)
      current = Object.hasOwn(current.shape, String(segment))
        ? (current.shape as Record<string, z.ZodType>)[String(segment)]
        : undefined;
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else if (current instanceof z.ZodRecord) current = current.valueType as z.ZodType;
    else return [];
    current = current && unwrap(current);
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (
    current instanceof z.ZodOptional ||
    current instanceof z.ZodNullable ||
    current instanceof z.ZodDefault
  ) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

/** The issue code a schema refinement attached (`params: { code }`), if it is a known one. */
function schemaCode(issue: unknown): IssueCode | undefined {
  const code = (issue as { params?: { code?: unknown } } | undefined)?.params?.code;
  return typeof code === 'string' && isIssueCode(code) ? code : undefined;
}

/**
 * True when the path ends inside a list field (`factors[0]`), not at the field itself. In a
 * grid the first index picks a grid value, so `param_grid.factors[0]` is a whole list and
 * `param_grid.factors[0][1]` an item of it.
 */
function isListItem(path: ConfigPath): boolean {
  let indexes = 0;
  let i = path.length - 1;
  for (; i >= 0 && typeof path[i] === 'number'; i -= 1) indexes += 1;
  const inGrid = i >= 1 && path[i - 1] === 'param_grid';
  return indexes > (inGrid ? 1 : 0);
}

function lastName(path: ConfigPath): string | undefined {
  for (let i = path.length - 1; i >= 0; i -= 1) {
    const segment = path[i];
    if (typeof segment === 'string') return segment;
  }
  return undefined;
}

function typeHint(got: unknown, issue: z.core.$ZodIssue): string | undefined {
  const expected = (issue as { expected?: string }).expected;
  if (typeof got === 'string' && (expected === 'number' || expected === 'int') && got.trim() !== '') {
    if (!Number.isNaN(Number(got))) return 'remove the quotes to write a number';
    if (/^\d[\d_]*(\.\d+)?$/.test(got))
      return `YAML 1.2 numbers have no _ separators: write ${got.replace(/_/g, '')}`;
    if (/^\d+(\.\d+)?\s*%$/.test(got))
      return `write the percentage as a plain number: ${got.replace(/\s*%$/, '')}`;
    if (/^(yes|no|on|off|y|n)$/i.test(got))
      return 'YAML 1.2 reads yes/no/on/off as text, not as true/false or numbers';
  }
  if (typeof got === 'number' && expected === 'int') return 'use a whole number';
  if (typeof got === 'number' && !Number.isFinite(got)) return 'use a finite number';
  if (expected === 'array' && got !== null && typeof got !== 'object') {
    return `write a list, e.g. [${JSON.stringify(got)}]`;
  }
  return undefined;
}

/** How a wrong value is shown in a message: short, and says its type. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `the text ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return `${typeof value === 'boolean' ? '' : 'the number '}${String(value)}`;
}
