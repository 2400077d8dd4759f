import { describe, it } from 'vitest';
import { expectGolden } from '../../test/support/golden.js';
import { readConfigDir } from '../cli/read-config-dir.js';
import { loadConfigRepo } from '../config/index.js';
import { renderDag } from './index.js';

// The rendered DAG of two examples, checked in. A change to the template or the payload
// shows up here as a reviewable diff; refresh with `npm run golden:update` after checking it.
const examplesDir = new URL('../../examples/', import.meta.url);
const goldenDir = new URL('../../test/airflow/golden/', import.meta.url);

describe('golden DAG files', async () => {
  const { specs } = loadConfigRepo(await readConfigDir(examplesDir.pathname));
  it.each(['grid_search', 'factor_comparison_2023'])('%s.py matches the checked-in rendering', (dagId) => {
    const spec = specs.find((s) => s.dag_id === dagId);
    if (!spec) throw new Error(`examples have no ${dagId}`);
    const rendered = renderDag(spec);
    expectGolden(new URL(`${dagId}.py`, goldenDir), rendered);
  });
});
