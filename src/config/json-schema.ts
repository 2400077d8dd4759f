import { z } from 'zod';
import {
  DEFAULT_BATCH_ATTEMPTS,
  DEFAULT_INCLUDE,
  DEFAULT_INITIAL_CAPITAL,
  DEFAULT_MAX_RUNS_PER_DAG,
  DEFAULT_OWNER,
  DEFAULT_RETRIES,
} from './limits.js';
import { SCHEDULE_PRESETS } from './schedule.js';
import { configFileSchema, settingsFileSchema } from './schema.js';

type Json = Record<string, unknown>;

/**
 * The JSON Schema of a config file, generated from the zod schema so editors (via the
 * yaml-language-server modeline or `yaml.schemas`) complete and check what `backtestctl
 * validate` accepts, minus the checks that need the whole repo (collisions, grid keys, the
 * keys its defaults may provide). On top of zod's output it carries what editors use: a
 * stable `$id`, a strategy's required `name`, the defaults, the schedule presets as an enum, real calendar dates, and named `$defs`.
 */
export function configJsonSchema(): Json {
  const schema = generated(configFileSchema, 'backtest');
  const props = schema.properties as Record<string, Json>;
  addDefaults(props, {
    initial_capital: DEFAULT_INITIAL_CAPITAL,
    retries: DEFAULT_RETRIES,
    batch_attempts: DEFAULT_BATCH_ATTEMPTS,
    owner: DEFAULT_OWNER,
  });
  // strategy_class and the dates are not required here: they may come from each strategy
  // entry, or from the defaults in backtest-gitops.yaml (the repo's or an environment's),
  // which an editor looking at one file cannot see. Requiring them would underline configs
  // that are valid; `backtestctl validate` checks them after the layers are merged and
  // reports a missing one with file:line:column.
  hoist(schema, ['properties', 'strategies', 'items'], 'strategy');
  hoist(schema, ['properties', 'callbacks'], 'callbacks');
  const strategy = ($defs(schema).strategy ?? {}) as Json;
  strategy.required = ['name'];
  return finish(schema);
}

/** The JSON Schema of backtest-gitops.yaml. */
export function settingsJsonSchema(): Json {
  const schema = generated(settingsFileSchema, 'backtest-gitops');
  const props = schema.properties as Record<string, Json>;
  addDefaults(props, { include: [...DEFAULT_INCLUDE], max_runs_per_dag: DEFAULT_MAX_RUNS_PER_DAG });
  hoist(schema, ['properties', 'defaults'], 'config_defaults');
  hoist(schema, ['properties', 'variables'], 'airflow_variables');
  // Each environment's defaults and variables are the same shapes: references, not copies.
  dedupeAgainstDefs(schema);
  const defaults = $defs(schema).config_defaults as Json;
  addDefaults(defaults.properties as Record<string, Json>, {
    initial_capital: DEFAULT_INITIAL_CAPITAL,
    retries: DEFAULT_RETRIES,
    batch_attempts: DEFAULT_BATCH_ATTEMPTS,
    owner: DEFAULT_OWNER,
  });
  return finish(schema);
}

/** Where editors and tools can recognise the schema; a name, not a download address. */
export function schemaId(name: string): string {
  return `urn:backtest-gitops:schema:${name}:v1`;
}

function generated(schema: z.ZodType, name: string): Json {
  const { $schema, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  return { $schema, $id: schemaId(name), title: name, ...rest };
}

/** The last steps both schemas share, in an order that keeps the output deterministic. */
function finish(schema: Json): Json {
  nameJsonValueDefs(schema);
  dedupeAgainstDefs(schema);
  walk(schema, (node) => {
    if (node.pattern === '^\\d{4}-\\d{2}-\\d{2}$') {
      node.pattern = CALENDAR_DATE;
      // Shown by VS Code and yaml-language-server instead of the regular expression.
      node.patternErrorMessage = 'Not a real calendar date written YYYY-MM-DD (e.g. 2022-01-31).';
    }
    if (typeof node.description === 'string' && node.description.startsWith('Cron expression')) {
      schedulePresets(node);
    }
  });
  const defs = $defs(schema);
  if (Object.keys(defs).length === 0) return schema;
  const { $defs: _old, ...rest } = schema;
  return { ...rest, $defs: Object.fromEntries(Object.entries(defs).sort(([a], [b]) => (a < b ? -1 : 1))) };
}

/**
 * YYYY-MM-DD that is a real calendar date (no 2023-02-30, 29 February in leap years only),
 * as `backtestctl validate` checks it, so editors underline an impossible date too.
 */
const CALENDAR_DATE =
  '^(?:\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8]))' +
  '|(?:\\d{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)$';

/** `schedule`: the Airflow presets as an enum editors complete, or a 5-field cron text, or null. */
function schedulePresets(node: Json): void {
  const { type: _type, ...rest } = node;
  for (const key of Object.keys(node)) delete node[key];
  Object.assign(node, {
    ...rest,
    anyOf: [
      { enum: [...SCHEDULE_PRESETS] },
      { type: 'string', pattern: '^\\s*\\S+(?:\\s+\\S+){4}\\s*$', description: 'A 5-field cron expression.' },
      { type: 'null' },
    ],
    examples: ['@daily', '0 6 * * 1-5'],
  });
}

function addDefaults(props: Record<string, Json>, defaults: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(defaults)) {
    if (props[key]) props[key].default = value;
  }
}

function $defs(schema: Json): Record<string, unknown> {
  schema.$defs ??= {};
  return schema.$defs as Record<string, unknown>;
}

/** Moves the node at `path` into `$defs[name]` and leaves a reference (with its description). */
function hoist(schema: Json, path: string[], name: string): void {
  const parent = path.slice(0, -1).reduce<Json | undefined>((n, k) => n?.[k] as Json | undefined, schema);
  const key = path.at(-1) as string;
  const node = parent?.[key] as Json | undefined;
  if (!parent || !node) throw new Error(`json-schema: nothing at ${path.join('/')}`);
  $defs(schema)[name] = node;
  parent[key] = {
    ...(typeof node.description === 'string' ? { description: node.description } : {}),
    $ref: `#/$defs/${name}`,
  };
}

/** zod names its recursive JSON-value schemas `__schema0`, `__schema1`, ...: one `json_value`. */
function nameJsonValueDefs(schema: Json): void {
  const defs = $defs(schema);
  const renames = new Map<string, string>();
  for (const [name, def] of Object.entries(defs)) {
    if (!name.startsWith('__schema')) continue;
    const shape = JSON.stringify(def).replaceAll(`#/$defs/${name}"`, '#/$defs/json_value"');
    const isJsonValue = shape.includes('"type":"boolean"') && shape.includes('#/$defs/json_value');
    const target = isJsonValue ? 'json_value' : `definition_${renames.size + 1}`;
    renames.set(name, target);
  }
  for (const [from, to] of renames) {
    const def = defs[from];
    delete defs[from];
    defs[to] = def;
  }
  walk(schema, (node) => {
    if (typeof node.$ref === 'string') {
      const name = node.$ref.replace('#/$defs/', '');
      const to = renames.get(name);
      if (to) node.$ref = `#/$defs/${to}`;
    }
  });
}

/** A copy of a named definition elsewhere in the schema (environment defaults) becomes a reference. */
function dedupeAgainstDefs(schema: Json): void {
  const defs = Object.entries($defs(schema)).map(([name, def]) => [name, shapeOf(def)] as const);
  const replace = (node: Json): void => {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$defs' || !value || typeof value !== 'object') continue;
      const match = Array.isArray(value) ? undefined : defs.find(([, shape]) => shape === shapeOf(value));
      if (match) {
        const description = (value as Json).description;
        node[key] = {
          ...(typeof description === 'string' ? { description } : {}),
          $ref: `#/$defs/${match[0]}`,
        };
      } else if (Array.isArray(value)) {
        for (const item of value) if (item && typeof item === 'object') replace(item as Json);
      } else {
        replace(value as Json);
      }
    }
  };
  replace(schema);
}

function shapeOf(value: unknown): string {
  return JSON.stringify(value, (key, v) => (key === 'description' ? undefined : v));
}

function walk(node: unknown, visit: (node: Json) => void): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  visit(node as Json);
  for (const value of Object.values(node as Json)) walk(value, visit);
}
