import { describe, expect, it } from 'vitest';
import { discoverResults } from './read-results.js';
import { renderResultsText } from './render-text.js';
import type { ResultsStore } from './results-store.js';
import { parseRunStatusFile } from './run-status-file.js';
import { summarizeResults } from './summarize.js';
import { DEFAULT_REPORT } from './types.js';

const WRITTEN = {
  state: 'failed',
  batch_job_id: '7f1c2b9e-5d4a-4e8b-9c1d-2a3b4c5d6e7f',
  try_number: 2,
  log_url: 'https://airflow.example/dags/grid/runs/r/tasks/backtest/mapped/1?try_number=2',
  dag_id: 'grid',
  dag_run_id: 'r',
  task_id: 'backtest',
  map_index: 1,
};

class MemoryStore implements ResultsStore {
  readonly location = 'mem';
  constructor(readonly objects: Map<string, string>) {}
  async list(prefix: string) {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
  async read(key: string) {
    return this.objects.get(key) ?? null;
  }
  async write() {}
}

describe('run-status.json', () => {
  it('gives the Batch job id, try and log URL of what the DAG callback writes', () => {
    expect(parseRunStatusFile(JSON.stringify(WRITTEN))).toEqual({
      state: 'failed',
      batchJobId: WRITTEN.batch_job_id,
      tryNumber: 2,
      logUrl: WRITTEN.log_url,
    });
  });

  it('drops each field it cannot trust on its own, and is null for what is not a JSON object', () => {
    expect(
      parseRunStatusFile(
        JSON.stringify({
          state: 'exploded',
          batch_job_id: 'id` [x](javascript:alert(1))',
          try_number: -1,
          log_url: 'javascript:alert(1)',
        }),
      ),
    ).toEqual({});
    expect(parseRunStatusFile(JSON.stringify({ ...WRITTEN, log_url: 5 }))).toEqual({
      state: 'failed',
      batchJobId: WRITTEN.batch_job_id,
      tryNumber: 2,
    });
    for (const text of ['not json', '[]', '"x"', 'null']) expect(parseRunStatusFile(text)).toBeNull();
  });

  it('makes a run folder with no metrics.json but a failed run-status.json a failed run in --from DIR', async () => {
    const base = 'backtests/grid/r/grid/';
    const store = new MemoryStore(
      new Map([
        [`${base}run-00000/metrics.json`, JSON.stringify({ metrics: { sharpe: 1 } })],
        [`${base}run-00001/run-status.json`, JSON.stringify(WRITTEN)],
        [`${base}run-00002/job.log`, 'crashed'],
      ]),
    );
    const [input] = await discoverResults(store, DEFAULT_REPORT);
    expect(input?.runs.map((r) => [r.index, r.state, r.metrics.kind, r.batchJobId, r.link])).toEqual([
      [0, 'success', 'ok', undefined, undefined],
      [1, 'failed', 'missing', WRITTEN.batch_job_id, WRITTEN.log_url],
      [2, 'success', 'missing', undefined, undefined],
    ]);
    const text = renderResultsText([summarizeResults(input as NonNullable<typeof input>)]);
    expect(text).toContain(`run-00001: failed [Batch job ${WRITTEN.batch_job_id}] (${WRITTEN.log_url})`);
    expect(text).toContain('run-00002: no metrics.json');
  });
});
