import { createHash } from 'node:crypto';
import type { BacktestSpec } from '../config/types.js';
import type { DesiredFile } from '../plan/types.js';
import { RenderError } from '../shared/errors.js';
import { type RenderOptions, renderDag } from './render-dag.js';
import { SUPPORT_FILES, SUPPORT_PACKAGE, templateFile } from './template-files.js';

/**
 * Everything the controller wants in the DAG folder: one `<dag_id>.py` per spec plus the
 * `backtest_gitops_support` package the callbacks live in, sorted by key.
 */
export function renderRepo(specs: BacktestSpec[], options: RenderOptions = {}): DesiredFile[] {
  const files: DesiredFile[] = [];
  const seen = new Map<string, string>();
  for (const spec of specs) {
    const other = seen.get(spec.dag_id);
    if (other !== undefined) {
      throw new RenderError(`dag_id ${spec.dag_id} is defined by both ${other} and ${spec.source}`);
    }
    if (spec.dag_id === SUPPORT_PACKAGE) {
      throw new RenderError(
        `dag_id ${SUPPORT_PACKAGE} in ${spec.source} would shadow the callbacks package deployed with the DAGs`,
        'choose another dag_id',
      );
    }
    seen.set(spec.dag_id, spec.source);
    files.push(
      desiredFile(`${spec.dag_id}.py`, renderDag(spec, options), spec.source, spec.dag_id, spec.runs),
    );
  }
  for (const key of SUPPORT_FILES) files.push(desiredFile(key, templateFile(key), null, null, 0));
  return files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function desiredFile(
  key: string,
  content: string,
  source: string | null,
  dagId: string | null,
  runs: number,
) {
  const sha256 = createHash('sha256').update(content, 'utf8').digest('hex');
  return { key, content, sha256, source, dag_id: dagId, runs } satisfies DesiredFile;
}
