import { createHash } from 'node:crypto';
import { type BuildDagResult, buildDagSpec } from './build-dag-spec.js';
import { configError, fileStart } from './issues.js';
import type { ConfigLayer } from './layers.js';
import { locatePath } from './locate.js';
import { protoKeyIssues } from './proto-keys.js';
import { pruneInvalid } from './prune-invalid.js';
import { configFileSchema } from './schema.js';
import { findSecretKeys } from './secret-keys.js';
import type { BacktestSpec, ConfigIssue, SourceLocation } from './types.js';
import { parseYamlSource } from './yaml-source.js';
import { zodIssuesToConfigIssues } from './zod-issues.js';

export interface ConfigFileResult {
  file: string;
  spec: BacktestSpec | null;
  issues: ConfigIssue[];
  /** The DAG id the file claims (even when invalid), for the repo-wide collision check. */
  dagId: { value: string; at: SourceLocation } | null;
}

/**
 * Validates one config file in one pass: YAML safety, the schema, then the checks that need
 * the merged view (required keys, dates, grid keys, run cap). Every problem is reported;
 * a spec is returned only when there are none.
 */
export function validateConfigFile(
  file: string,
  text: string,
  defaults: readonly ConfigLayer[],
  maxRunsPerDag: number,
): ConfigFileResult {
  const parsed = parseYamlSource(file, text);
  if (!parsed.ok) return { file, spec: null, issues: parsed.issues, dagId: null };
  const { source, value } = parsed;
  if (value === null || value === undefined) {
    const issue = configError(
      fileStart(file),
      'empty-file',
      'the file is empty',
      'a config needs at least strategy_class, start_date and end_date',
    );
    return { file, spec: null, issues: [issue], dagId: null };
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    const issue = configError(
      locatePath(source, []),
      'not-a-mapping',
      `a config file must be a map of keys (strategy_class: ..., start_date: ...), not ${Array.isArray(value) ? 'a list' : 'a single value'}`,
    );
    return { file, spec: null, issues: [issue], dagId: null };
  }
  const issues: ConfigIssue[] = [...findSecretKeys(source, value), ...protoKeyIssues(source, value)];
  let data = value as Record<string, unknown>;
  let pruned = new Set<string>();
  const first = configFileSchema.safeParse(data);
  if (!first.success) {
    issues.push(...zodIssuesToConfigIssues(source, value, configFileSchema, first.error.issues));
    ({ value: data, pruned } = pruneInvalid(data, first.error.issues));
    // What is left must pass the schema before the merged-view checks can trust it.
    if (!configFileSchema.safeParse(data).success) return { file, spec: null, issues, dagId: null };
  }
  const built: BuildDagResult = buildDagSpec({
    file,
    source,
    data,
    defaults,
    isPruned: (path) => pruned.has(path),
    maxRunsPerDag,
    sourceSha256: sha256Hex(text),
  });
  issues.push(...built.issues);
  const spec = issues.length > 0 ? null : built.spec;
  return { file, spec, issues, dagId: built.dagId };
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
