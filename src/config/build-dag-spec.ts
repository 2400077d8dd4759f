import { buildStrategySpec } from './build-strategy.js';
import { configError, fileStart } from './issues.js';
import { type ConfigLayer, locateInLayer, mergeMapValue, pickValue } from './layers.js';
import {
  DEFAULT_BATCH_ATTEMPTS,
  DEFAULT_OWNER,
  DEFAULT_RETRIES,
  HARD_MAX_RUNS_PER_DAG,
  MAX_DAG_ID_LENGTH,
} from './limits.js';
import { locatePath } from './locate.js';
import { DAG_ID } from './patterns.js';
import type { BacktestSpec, ConfigIssue, SourceLocation, StrategySpec } from './types.js';
import type { YamlSource } from './yaml-source.js';

export interface BuildDagInput {
  file: string;
  source: YamlSource;
  /** The file's value, already passing the schema (invalid parts pruned). */
  data: Record<string, unknown>;
  /** Repo and environment default layers, lowest first. */
  defaults: readonly ConfigLayer[];
  isPruned: (dottedPath: string) => boolean;
  maxRunsPerDag: number;
  sourceSha256: string;
}

export interface BuildDagResult {
  spec: BacktestSpec | null;
  issues: ConfigIssue[];
  dagId: { value: string; at: SourceLocation } | null;
}

/** Builds the BacktestSpec of one file from its layers; see StrategySpec for the merge order. */
export function buildDagSpec(input: BuildDagInput): BuildDagResult {
  const { file, source, data } = input;
  const issues: ConfigIssue[] = [];
  const top: ConfigLayer = { source, path: [], data };
  const dagLayers = [...input.defaults, top];

  const dagId = resolveDagId(input, issues);
  const entries = Array.isArray(data.strategies) ? (data.strategies as Record<string, unknown>[]) : null;
  const strategies: StrategySpec[] = [];
  const seenNames = new Map<string, number>();
  let largestGridAt: SourceLocation | null = null;
  let largestRuns = 0;

  const contexts = entries
    ? entries.map((entry, index) => ({
        name: String(entry.name),
        layers: [...dagLayers, { source, path: ['strategies', index], data: entry }],
        entryLocation: locatePath(source, ['strategies', index]),
        label: `strategy \`${String(entry.name)}\``,
        isPruned: (key: string) => input.isPruned(key) || input.isPruned(`strategies.${index}.${key}`),
        index,
      }))
    : [
        {
          name: (dagId?.value ?? 'main').replace(/\./g, '_'),
          layers: dagLayers,
          // The root mapping (its first key), where an editor marks a missing key; not a modeline above it.
          entryLocation: locatePath(source, []),
          label: '',
          isPruned: input.isPruned,
          index: -1,
        },
      ];

  for (const ctx of contexts) {
    if (ctx.index >= 0) {
      const previous = seenNames.get(ctx.name);
      if (RESERVED_STRATEGY_NAMES.has(ctx.name)) {
        issues.push(
          configError(
            locatePath(source, ['strategies', ctx.index, 'name']),
            'reserved-name',
            `strategy name \`${ctx.name}\` is reserved: the DAG's own tasks use it`,
            `rename the strategy; ${[...RESERVED_STRATEGY_NAMES].join(', ')} are reserved`,
          ),
        );
      }
      if (previous !== undefined) {
        issues.push(
          configError(
            locatePath(source, ['strategies', ctx.index, 'name']),
            'duplicate-strategy-name',
            `strategy name \`${ctx.name}\` is already used by strategies[${previous}]`,
            'strategy names must be unique within a file',
          ),
        );
      } else {
        seenNames.set(ctx.name, ctx.index);
      }
    }
    const built = buildStrategySpec(ctx);
    if ('issues' in built) {
      issues.push(...built.issues);
      continue;
    }
    strategies.push(built.spec);
    if (built.spec.runs > largestRuns) {
      largestRuns = built.spec.runs;
      largestGridAt = built.gridAt;
    }
  }

  const runs = strategies.reduce((sum, s) => sum + s.runs, 0);
  if (runs > input.maxRunsPerDag) {
    issues.push(
      configError(
        largestGridAt ?? fileStart(file),
        'grid-too-large',
        `this DAG expands to ${runs.toLocaleString('en-US')} runs, more than max_runs_per_dag (${input.maxRunsPerDag.toLocaleString('en-US')})`,
        input.maxRunsPerDag >= HARD_MAX_RUNS_PER_DAG
          ? `sweep fewer values or split the grid over several configs: ${HARD_MAX_RUNS_PER_DAG.toLocaleString('en-US')} runs per DAG is a hard ceiling`
          : 'sweep fewer values, split the grid over several configs, or raise max_runs_per_dag in backtest-gitops.yaml',
      ),
    );
  }
  if (dagId && RESERVED_DAG_IDS.has(dagId.value)) {
    issues.push(
      configError(
        dagId.at,
        'reserved-name',
        `dag_id \`${dagId.value}\` is reserved for the support package deployed next to the DAGs`,
        'choose another dag_id (or rename the file)',
      ),
    );
  }
  if (issues.length > 0 || dagId === null) return { spec: null, issues, dagId };

  const callbacks = mergeMapValue(dagLayers, 'callbacks');
  const report = mergeMapValue(dagLayers, 'report');
  const objective = report.get('objective')?.value as string | undefined;
  const metrics = report.get('metrics')?.value as string[] | undefined;
  const spec: BacktestSpec = {
    source: file,
    source_sha256: input.sourceSha256,
    dag_id: dagId.value,
    description: (pickValue(dagLayers, 'description')?.value as string | null | undefined) ?? null,
    tags: (pickValue(dagLayers, 'tags')?.value as string[] | undefined) ?? [],
    schedule: (pickValue(dagLayers, 'schedule')?.value as string | null | undefined) ?? null,
    owner: (pickValue(dagLayers, 'owner')?.value as string | undefined) ?? DEFAULT_OWNER,
    retries: (pickValue(dagLayers, 'retries')?.value as number | undefined) ?? DEFAULT_RETRIES,
    batch_attempts:
      (pickValue(dagLayers, 'batch_attempts')?.value as number | undefined) ?? DEFAULT_BATCH_ATTEMPTS,
    callbacks: {
      before: (callbacks.get('before')?.value as string | null | undefined) ?? null,
      after: (callbacks.get('after')?.value as string | null | undefined) ?? null,
    },
    ...(pickValue(dagLayers, 'run_on_merge')?.value === true ? { run_on_merge: true } : {}),
    ...(objective || metrics
      ? { report: { ...(objective ? { objective } : {}), ...(metrics ? { metrics: [...metrics] } : {}) } }
      : {}),
    strategies,
    multi_strategy: entries !== null,
    runs,
  };
  return { spec, issues, dagId };
}

/** Task ids of a rendered DAG that a strategy's task group must not take. */
const RESERVED_STRATEGY_NAMES = new Set(['before', 'after', 'backtest']);
/** The support package deployed next to the DAGs owns this name in the DAG folder. */
const RESERVED_DAG_IDS = new Set(['backtest_gitops_support']);

/** The written dag_id, or the file name without extension; a bad file name is an error. */
function resolveDagId(input: BuildDagInput, issues: ConfigIssue[]): BuildDagResult['dagId'] {
  const written = input.data.dag_id;
  if (typeof written === 'string') {
    return {
      value: written,
      at: locateInLayer({ source: input.source, path: [], data: input.data }, ['dag_id']),
    };
  }
  if (input.isPruned('dag_id')) return null;
  const stem = fileStem(input.file);
  const at = fileStart(input.file);
  if (!DAG_ID.test(stem) || stem.length > MAX_DAG_ID_LENGTH) {
    issues.push(
      configError(
        at,
        'invalid-dag-id',
        `the file name \`${stem}\` is not a valid DAG id, and the file sets no \`dag_id\``,
        'rename the file using letters, digits, _ . and - only, or add `dag_id: <id>`',
      ),
    );
    return null;
  }
  return { value: stem, at };
}

function fileStem(file: string): string {
  const base = file.slice(file.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}
