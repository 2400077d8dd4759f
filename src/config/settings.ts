import { configError, fileStart } from './issues.js';
import type { ConfigLayer } from './layers.js';
import { DEFAULT_INCLUDE, DEFAULT_MAX_RUNS_PER_DAG, SETTINGS_FILE } from './limits.js';
import { locatePath } from './locate.js';
import { protoKeyIssues } from './proto-keys.js';
import { pruneInvalid, settingsFieldPath } from './prune-invalid.js';
import { type SettingsFileInput, settingsFileSchema } from './schema.js';
import { findSecretKeys } from './secret-keys.js';
import type { ConfigIssue, JsonValue, RepoSettings, SourceLocation } from './types.js';
import { parseYamlSource, type YamlSource } from './yaml-source.js';
import { setOwn } from './yaml-value.js';
import { zodIssuesToConfigIssues } from './zod-issues.js';

export interface LoadedSettings {
  settings: RepoSettings;
  /** False when backtest-gitops.yaml (or the chosen environment) is invalid. */
  ok: boolean;
  issues: ConfigIssue[];
  /** Default layers every config is merged over: repo defaults, then the environment's. */
  defaultLayers: ConfigLayer[];
}

export function builtInSettings(): RepoSettings {
  return {
    include: [...DEFAULT_INCLUDE],
    max_runs_per_dag: DEFAULT_MAX_RUNS_PER_DAG,
    defaults: {},
    environments: {},
    variables: {},
  };
}

/**
 * Reads backtest-gitops.yaml (absent: built-in settings). An invalid settings file, or an
 * environment it does not define, makes the whole repo invalid: deploying configs without
 * their intended defaults could silently change every DAG.
 */
export function loadSettings(text: string | undefined, environment?: string): LoadedSettings {
  const fallback = builtInSettings();
  if (text === undefined) {
    if (environment === undefined) return { settings: fallback, ok: true, issues: [], defaultLayers: [] };
    return invalid(fallback, [unknownEnvironmentIssue(environment, [], fileStart(SETTINGS_FILE))]);
  }
  const parsed = parseYamlSource(SETTINGS_FILE, text);
  if (!parsed.ok) return invalid(fallback, parsed.issues);
  const { source, value } = parsed;
  if (value === null) return loadSettings(undefined, environment);
  if (typeof value !== 'object' || Array.isArray(value)) {
    return invalid(fallback, [
      configError(locatePath(source, []), 'not-a-mapping', `${SETTINGS_FILE} must be a map of settings`),
    ]);
  }
  const issues = [...findSecretKeys(source, value), ...protoKeyIssues(source, value)];
  let data = value as Record<string, unknown>;
  const result = settingsFileSchema.safeParse(data);
  if (!result.success) {
    issues.push(...zodIssuesToConfigIssues(source, value, settingsFileSchema, result.error.issues));
    // Keep the valid parts: configs are still checked with the defaults they would get,
    // so an unrelated typo here does not bury every config under "missing key" errors.
    data = pruneInvalid(data, result.error.issues, settingsFieldPath).value;
    if (!settingsFileSchema.safeParse(data).success) return invalid(fallback, issues);
  }
  const built = buildSettings(source, data as SettingsFileInput, environment);
  issues.push(...built.issues);
  return { settings: built.settings, ok: issues.length === 0, issues, defaultLayers: built.defaultLayers };
}

function buildSettings(
  source: YamlSource,
  data: SettingsFileInput,
  environment: string | undefined,
): { settings: RepoSettings; defaultLayers: ConfigLayer[]; issues: ConfigIssue[] } {
  const environments: RepoSettings['environments'] = {};
  for (const [name, env] of Object.entries(data.environments ?? {})) {
    setOwn(environments, name, {
      defaults: (env.defaults ?? {}) as Record<string, JsonValue>,
      variables: dropUndefined(env.variables ?? {}),
    });
  }
  const settings: RepoSettings = {
    include: data.include ?? [...DEFAULT_INCLUDE],
    max_runs_per_dag: data.max_runs_per_dag ?? DEFAULT_MAX_RUNS_PER_DAG,
    defaults: (data.defaults ?? {}) as Record<string, JsonValue>,
    environments,
    variables: dropUndefined(data.variables ?? {}),
  };
  const defaultLayers: ConfigLayer[] = [{ source, path: ['defaults'], data: settings.defaults }];
  if (environment === undefined) return { settings, defaultLayers, issues: [] };
  const env = Object.hasOwn(environments, environment) ? environments[environment] : undefined;
  if (!env) {
    const at = locatePath(source, ['environments'], 'key');
    return {
      settings,
      defaultLayers,
      issues: [unknownEnvironmentIssue(environment, Object.keys(environments), at)],
    };
  }
  defaultLayers.push({ source, path: ['environments', environment, 'defaults'], data: env.defaults });
  settings.environment = environment;
  return { settings, defaultLayers, issues: [] };
}

/** Airflow Variables for an environment: the repo's, overridden by the environment's. */
export function effectiveVariables(settings: RepoSettings, environment?: string): Record<string, string> {
  const env = environment ?? settings.environment;
  const own = env !== undefined && Object.hasOwn(settings.environments, env);
  return { ...settings.variables, ...(own ? settings.environments[env]?.variables : {}) };
}

function unknownEnvironmentIssue(name: string, known: string[], at: SourceLocation): ConfigIssue {
  return configError(
    at,
    'unknown-environment',
    `environment \`${name}\` is not defined in ${SETTINGS_FILE}`,
    known.length > 0
      ? `defined environments: ${known.join(', ')}`
      : `add it under \`environments:\` in ${SETTINGS_FILE}`,
  );
}

function invalid(settings: RepoSettings, issues: ConfigIssue[]): LoadedSettings {
  return { settings, ok: false, issues, defaultLayers: [] };
}

function dropUndefined(map: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).filter((e): e is [string, string] => e[1] !== undefined));
}
