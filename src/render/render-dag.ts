import type { BacktestSpec } from '../config/types.js';
import { RenderError } from '../shared/errors.js';
import { GENERATOR } from '../shared/version.js';
import { buildDagPayload } from './dag-payload.js';
import { toPythonJsonText } from './python-json-literal.js';
import { dagTemplate } from './template-files.js';

export interface RenderOptions {
  /**
   * Airflow major version the DAG is for. The rendered file is the same for 2 and 3 (its
   * imports fall back at parse time); the option exists so callers can state the target.
   */
  airflowMajor?: 2 | 3;
}

const HEADER = /# --- backtest-gitops:header ---\n[\s\S]*?# --- backtest-gitops:end-header ---\n/;
const CONFIG = /# --- backtest-gitops:config ---\n[\s\S]*?# --- backtest-gitops:end-config ---\n/;

/** Renders one backtest config into the bytes of its DAG file. Pure and deterministic. */
export function renderDag(spec: BacktestSpec, _options: RenderOptions = {}): string {
  if (!/^[0-9a-f]{64}$/.test(spec.source_sha256)) {
    throw new RenderError(`source_sha256 of ${spec.source} is not a sha256 hex digest`);
  }
  const template = dagTemplate();
  if (!HEADER.test(template) || !CONFIG.test(template)) {
    throw new RenderError('the DAG template lost its backtest-gitops markers; the package is damaged');
  }
  const header = [
    '# --- backtest-gitops:header ---',
    `# Rendered by ${GENERATOR}. Do not edit: change the config and let backtest-gitops render it.`,
    `# source: ${toPythonJsonText(spec.source)}`,
    `# config sha256: ${spec.source_sha256}`,
    '# --- backtest-gitops:end-header ---',
    '',
  ].join('\n');
  const config = [
    '# --- backtest-gitops:config ---',
    `CONFIG = json.loads(r'''${toPythonJsonText(buildDagPayload(spec))}''')`,
    '# --- backtest-gitops:end-config ---',
    '',
  ].join('\n');
  // Replacer functions, not strings: `$&` or `$1` in a config value must stay literal.
  return template.replace(HEADER, () => header).replace(CONFIG, () => config);
}
