import { didYouMeanHint } from './did-you-mean.js';
import { countGridRuns } from './expand-runs.js';
import { configError } from './issues.js';
import { type ConfigLayer, locateInLayer, mergeMapValue, type Picked, pickValue } from './layers.js';
import { DEFAULT_INITIAL_CAPITAL } from './limits.js';
import type { ConfigPath } from './locate.js';
import { PARAMS_KEY } from './patterns.js';
import { isConfigFieldName } from './schema.js';
import type { ConfigIssue, JsonValue, SourceLocation, StrategySpec } from './types.js';
import { STRATEGY_PARAMETER_KEYS } from './types.js';
import { writtenJsonText } from './written-json.js';
import { setOwn } from './yaml-value.js';

const PARAMETER_KEYS: ReadonlySet<string> = new Set(STRATEGY_PARAMETER_KEYS);
const REQUIRED_KEYS = ['strategy_class', 'start_date', 'end_date'] as const;

export interface StrategyContext {
  name: string;
  /** Layers lowest first; all passed schema validation. */
  layers: readonly ConfigLayer[];
  /** Where to report a missing required key: the strategy entry, or the file start. */
  entryLocation: SourceLocation;
  /** "strategy `momentum`", or the empty string for a single-strategy file; for messages. */
  label: string;
  /** Keys that had invalid values (already reported): checks that need them are skipped. */
  isPruned: (key: string) => boolean;
}

export interface GridEntry {
  values: JsonValue[];
  /** Where the grid key was written (for grid-too-large). */
  at: SourceLocation;
  /** The key as written (`params.x` or `x`) and the layer that set it. */
  written: string;
  picked: Picked;
}

/**
 * Merges a strategy's layers into a StrategySpec and checks what needs the merged view:
 * required keys, date order, grid keys. Returns issues instead of a spec when any fail.
 */
export function buildStrategySpec(
  ctx: StrategyContext,
): { spec: StrategySpec; gridAt: SourceLocation | null } | { issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const required: Partial<Record<(typeof REQUIRED_KEYS)[number], Picked<string>>> = {};
  for (const key of REQUIRED_KEYS) {
    const picked = pickValue(ctx.layers, key);
    if (picked !== undefined && picked.value !== null) required[key] = picked as Picked<string>;
    else if (!ctx.isPruned(key)) issues.push(missingKeyIssue(ctx, key));
  }
  const { start_date: start, end_date: end } = required;
  if (start && end && end.value < start.value) {
    const at = end.layer.source === ctx.layers[ctx.layers.length - 1]?.source ? end : start;
    issues.push(
      configError(
        locateInLayer(at.layer, [at === end ? 'end_date' : 'start_date']),
        'end-before-start',
        `end_date ${end.value} is before start_date ${start.value}`,
        'swap the dates, or fix the one that is wrong',
      ),
    );
  }

  const parameters: Record<string, JsonValue> = {};
  const parameterTexts: Record<string, string> = {};
  const setParameter = (key: string, picked: Picked, path: ConfigPath) => {
    setOwn(parameters, key, picked.value);
    const text = writtenJsonText(picked.layer, path, picked.value);
    if (text !== undefined) setOwn(parameterTexts, key, text);
  };
  for (const key of STRATEGY_PARAMETER_KEYS) {
    const picked = pickValue(ctx.layers, key);
    if (picked !== undefined && picked.value !== null) setParameter(key, picked, [key]);
    else if (key === 'initial_capital') parameters[key] = DEFAULT_INITIAL_CAPITAL;
  }
  for (const [key, picked] of mergeMapValue(ctx.layers, 'params', true))
    setParameter(key, picked, ['params', key]);

  const grid = resolveGrid(ctx, parameters, issues);
  if (issues.length > 0) return { issues };
  const param_grid: Record<string, JsonValue[]> = {};
  const gridTexts: Record<string, Record<number, string>> = {};
  for (const [key, entry] of grid) {
    setOwn(param_grid, key, entry.values);
    entry.values.forEach((value, i) => {
      const text = writtenJsonText(entry.picked.layer, ['param_grid', entry.written, i], value);
      if (text === undefined) return;
      if (!Object.hasOwn(gridTexts, key)) setOwn(gridTexts, key, {});
      (gridTexts[key] as Record<number, string>)[i] = text;
    });
  }
  const gridAt = grid.size > 0 ? ([...grid.values()][0] as GridEntry).at : null;
  const written_json: NonNullable<StrategySpec['written_json']> = {};
  if (Object.keys(parameterTexts).length > 0) written_json.parameters = parameterTexts;
  if (Object.keys(gridTexts).length > 0) written_json.param_grid = gridTexts;
  return {
    gridAt,
    spec: {
      name: ctx.name,
      strategy_class: required.strategy_class?.value as string,
      start_date: required.start_date?.value as string,
      end_date: required.end_date?.value as string,
      parameters,
      param_grid,
      infra: {
        job_queue: stringOrNull(pickValue(ctx.layers, 'batch_job_queue')),
        job_definition: stringOrNull(pickValue(ctx.layers, 'batch_job_definition')),
        results_bucket: stringOrNull(pickValue(ctx.layers, 's3_bucket')),
        db_conn_id: stringOrNull(pickValue(ctx.layers, 'db_conn_id')),
      },
      runs: countGridRuns(param_grid),
      ...(Object.keys(written_json).length > 0 ? { written_json } : {}),
    },
  };
}

/**
 * Grid keys, normalised: a seed parameter name, `params.<name>` (→ `<name>`), or a bare
 * name that the merged params define. Types of seed parameters were checked by the schema.
 */
function resolveGrid(
  ctx: StrategyContext,
  parameters: Record<string, JsonValue>,
  issues: ConfigIssue[],
): Map<string, GridEntry> {
  const grid = new Map<string, GridEntry>();
  const known = [
    ...STRATEGY_PARAMETER_KEYS,
    ...Object.keys(parameters).filter((k) => !PARAMETER_KEYS.has(k)),
  ];
  let hinted = 0;
  for (const [written, picked] of mergeMapValue(ctx.layers, 'param_grid')) {
    const keyAt = locateInLayer(picked.layer, ['param_grid', written], 'key');
    const bare = written.startsWith('params.') ? written.slice('params.'.length) : written;
    if (written !== bare && PARAMS_KEY.test(bare) && isConfigFieldName(bare)) {
      issues.push(
        configError(
          keyAt,
          'params-shadows-field',
          `\`${written}\` has the name of a config key`,
          PARAMETER_KEYS.has(bare) ? `sweep \`${bare}\` directly` : `\`${bare}\` is not a strategy parameter`,
        ),
      );
      continue;
    }
    const name = normaliseGridKey(written, parameters);
    if (name === null) {
      const scope = ctx.label === '' ? '' : ` of ${ctx.label}`;
      // Did-you-mean compares against every parameter: bounded, so thousands of unknown
      // keys against thousands of params stay linear.
      hinted += 1;
      const suggestion = hinted <= MAX_HINTED_GRID_KEYS ? didYouMeanHint(bare, known) : undefined;
      issues.push(
        configError(
          keyAt,
          'grid-unknown-key',
          `param_grid key \`${written}\` is not a parameter${scope}`,
          suggestion ??
            `grid keys are ${STRATEGY_PARAMETER_KEYS.join(', ')}, or params.<name> for a free-form parameter`,
        ),
      );
      continue;
    }
    if (grid.has(name)) {
      issues.push(
        configError(
          keyAt,
          'duplicate-grid-key',
          `param_grid sweeps \`${name}\` twice (as \`${name}\` and \`params.${name}\`)`,
          'keep one of the two keys',
        ),
      );
      continue;
    }
    grid.set(name, { values: picked.value as JsonValue[], at: keyAt, written, picked });
  }
  return grid;
}

function normaliseGridKey(written: string, parameters: Record<string, JsonValue>): string | null {
  if (PARAMETER_KEYS.has(written)) return written;
  if (written.startsWith('params.')) {
    const name = written.slice('params.'.length);
    return PARAMS_KEY.test(name) && !isConfigFieldName(name) ? name : null;
  }
  return Object.hasOwn(parameters, written) ? written : null;
}

/** Unknown grid keys that get a did-you-mean hint; the rest get the generic one. */
const MAX_HINTED_GRID_KEYS = 50;

function missingKeyIssue(ctx: StrategyContext, key: string): ConfigIssue {
  const where = ctx.label === '' ? 'at the top level' : `at the top level or in ${ctx.label}`;
  const example = key === 'strategy_class' ? 'LongShortEquityStrategy' : '2022-01-01';
  return configError(
    ctx.entryLocation,
    'missing-key',
    `\`${key}\` is required${ctx.label === '' ? '' : ` for ${ctx.label}`}`,
    `add \`${key}: ${example}\` ${where}`,
  );
}

function stringOrNull(picked: Picked | undefined): string | null {
  return typeof picked?.value === 'string' ? picked.value : null;
}
