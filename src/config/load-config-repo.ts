import picomatch from 'picomatch';
import { type ClaimedDagId, findDagIdCollisions } from './dag-id-collisions.js';
import { configWarning, fileStart, sortAndDedupeIssues } from './issues.js';
import { HARD_MAX_RUNS_PER_DAG, SETTINGS_FILE } from './limits.js';
import { loadSettings } from './settings.js';
import type { BacktestSpec, ConfigIssue, ConfigRepoResult } from './types.js';
import { validateConfigFile } from './validate-config-file.js';

export interface LoadConfigRepoOptions {
  /** Name of an environment in backtest-gitops.yaml whose defaults apply. */
  environment?: string;
  /** Overrides `max_runs_per_dag` from backtest-gitops.yaml (never above HARD_MAX_RUNS_PER_DAG). */
  maxRunsPerDag?: number;
  /**
   * Path → SHA of the last commit that changed that file (from the git adapter); a config
   * with an entry gets `source_commit`. Files without one get none: never guessed.
   */
  commits?: ReadonlyMap<string, string>;
}

/**
 * Validates a whole config repository. `files` maps repo-relative paths (forward slashes)
 * to file text and may hold any candidate files: config files are the ones matching the
 * settings' `include` globs. Pure: no I/O, the same input always gives the same result.
 */
export function loadConfigRepo(
  files: ReadonlyMap<string, string>,
  options: LoadConfigRepoOptions = {},
): ConfigRepoResult {
  const loaded = loadSettings(files.get(SETTINGS_FILE), options.environment);
  const { settings } = loaded;
  const maxRuns = Math.min(options.maxRunsPerDag ?? settings.max_runs_per_dag, HARD_MAX_RUNS_PER_DAG);
  const isConfigFile = picomatch(settings.include);
  const configFiles = [...files.keys()].filter((path) => path !== SETTINGS_FILE && isConfigFile(path)).sort();

  const issues: ConfigIssue[] = [...loaded.issues, ...skippedFileWarnings(files, isConfigFile)];
  const claims: ClaimedDagId[] = [];
  const specs = new Map<string, BacktestSpec>();
  // A broken settings file may have lost or pruned its `include` (falling back to the default
  // globs): every candidate file then counts as invalid, so the planner keeps the DAGs of
  // configs the real globs matched instead of deleting them.
  const invalid = new Set<string>(loaded.ok ? [] : [SETTINGS_FILE, ...files.keys()]);
  for (const file of configFiles) {
    const result = validateConfigFile(file, files.get(file) as string, loaded.defaultLayers, maxRuns);
    issues.push(...result.issues);
    if (result.dagId) claims.push({ file, dagId: result.dagId.value, at: result.dagId.at });
    const commit = options.commits?.get(file);
    if (result.spec && loaded.ok)
      specs.set(file, commit === undefined ? result.spec : { ...result.spec, source_commit: commit });
    else invalid.add(file);
  }
  for (const collision of findDagIdCollisions(claims)) {
    issues.push(collision);
    specs.delete(collision.file);
    invalid.add(collision.file);
  }
  return {
    settings,
    specs: [...specs.values()],
    invalidFiles: [...invalid].sort(),
    issues: sortAndDedupeIssues(issues),
  };
}

/**
 * Files the include globs would match if their extension were `.yaml` or `.yml`
 * (`momentum.YAML`, `grid.json`): they are not read, which a researcher would not expect
 * without being told.
 */
function skippedFileWarnings(
  files: ReadonlyMap<string, string>,
  isConfigFile: (path: string) => boolean,
): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  for (const path of files.keys()) {
    const extension = /\.(ya?ml|json)$/i.exec(path)?.[0];
    if (extension === undefined || isConfigFile(path) || path === SETTINGS_FILE) continue;
    const stem = path.slice(0, -extension.length);
    if (!isConfigFile(`${stem}.yaml`) && !isConfigFile(`${stem}.yml`)) continue;
    warnings.push(
      configWarning(
        fileStart(path),
        'skipped-file',
        `this file is not read as a config: config files end in .yaml or .yml (lower case)`,
        extension.toLowerCase() === '.json'
          ? 'configs are YAML; JSON is YAML too, so rename the file to .yaml'
          : `rename it to ${stem.slice(stem.lastIndexOf('/') + 1)}${extension.toLowerCase()}`,
      ),
    );
  }
  return warnings;
}
