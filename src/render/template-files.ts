import { readFileSync } from 'node:fs';

/**
 * The Python sources shipped with the renderer (src/render/templates, copied to dist/ by
 * scripts/copy-assets.mjs). Reading our own packaged assets is the one file access in
 * render; it happens once per process and never touches user input, so rendering stays a
 * pure function of the spec.
 */
const TEMPLATES_DIR = new URL('./templates/', import.meta.url);

/** Python package with the built-in callbacks, deployed next to the DAGs. */
export const SUPPORT_PACKAGE = 'backtest_gitops_support';

/** Support package files deployed next to the DAGs, relative to the DAG folder. */
export const SUPPORT_FILES = [
  'backtest_gitops_support/__init__.py',
  'backtest_gitops_support/callbacks.py',
] as const;

const cache = new Map<string, string>();

export function templateFile(relativePath: string): string {
  let text = cache.get(relativePath);
  if (text === undefined) {
    text = readFileSync(new URL(relativePath, TEMPLATES_DIR), 'utf8');
    cache.set(relativePath, text);
  }
  return text;
}

export function dagTemplate(): string {
  return templateFile('backtest_dag.py');
}
