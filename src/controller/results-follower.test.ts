import { describe, expect, it } from 'vitest';
import { loadConfigRepo } from '../config/index.js';
import type { BacktestSpec } from '../config/types.js';
import type { DeployReport } from '../mwaa/deploy-report.js';
import type { DagRunReader, ListedDagRun, TaskInstanceState } from '../results/airflow-runs.js';
import { RESULTS_MARKER } from '../results/render-markdown.js';
import type { ResultsStore } from '../results/results-store.js';
import { createLogger } from '../shared/logger.js';
import { RESULTS_STATUS_CONTEXT, ResultsFollower, type ResultsGitHubPort } from './results-follower.js';
import { RESULTS_STATE_KEY } from './results-state.js';

const CONFIG = `strategy_class: S
start_date: 2022-01-01
end_date: 2022-12-31
param_grid:
  take_profit_pct: [5, 10, 15]
  stop_loss_pct: [3, 5, 8]
`;
const spec = loadConfigRepo(new Map([['backtests/grid.yaml', CONFIG]])).specs[0] as BacktestSpec;
const COMMIT = 'c'.repeat(40);
const RUN = 'manual__2026-01-05T09:00:00+00:00';

/** Airflow as the follower sees it: one DAG run whose task states the test moves on. */
class FakeAirflow implements DagRunReader {
  requests = 0;
  runs: ListedDagRun[] = [];
  states: TaskInstanceState[] = [];
  async listRuns(): Promise<ListedDagRun[]> {
    this.requests++;
    return this.runs;
  }
  async taskStates(): Promise<TaskInstanceState[]> {
    this.requests++;
    return this.states;
  }
  finish(indexes: number[], state: string) {
    for (const i of indexes) {
      this.states = this.states.filter((t) => t.map_index !== String(i));
      this.states.push({ task_id: 'backtest', map_index: String(i), state });
    }
  }
}

class MemoryStore implements ResultsStore {
  readonly location = 's3://results';
  objects = new Map<string, string>();
  reads = 0;
  async list(prefix: string) {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
  async read(key: string) {
    this.reads++;
    return this.objects.get(key) ?? null;
  }
  async write(key: string, text: string) {
    this.objects.set(key, text);
  }
}

class FakeGitHub implements ResultsGitHubPort {
  comments = new Map<number, { pr: number; body: string }>();
  statuses: { sha: string; context: string; state: string; description: string }[] = [];
  calls = 0;
  private nextId = 100;
  async pullsForCommit() {
    this.calls++;
    return [
      {
        number: 7,
        state: 'closed' as const,
        merged: true,
        headSha: 'h',
        headRef: 'grid',
        baseRef: 'main',
        fromFork: false,
        title: 'grid',
        htmlUrl: 'https://github.example/o/r/pull/7',
        author: 'alice',
      },
    ];
  }
  async upsertMarkedComment(pr: number, _marker: string, body: string, knownId?: number | null) {
    this.calls++;
    if (knownId && this.comments.has(knownId)) {
      this.comments.set(knownId, { pr, body });
      return { outcome: 'updated' as const, id: knownId };
    }
    const id = this.nextId++;
    this.comments.set(id, { pr, body });
    return { outcome: 'created' as const, id };
  }
  async commentOnPull(pr: number, body: string) {
    this.calls++;
    this.comments.set(this.nextId++, { pr, body });
  }
  async setStatus(sha: string, context: string, state: string, description: string) {
    this.calls++;
    this.statuses.push({ sha, context, state, description });
    return true;
  }
}

function metrics(index: number): string {
  return JSON.stringify({
    metrics: { sharpe: index / 4, total_return: index / 100, trades: 10 },
    n_observations: 252,
    skew: 0,
    kurtosis: 3,
  });
}

const report: DeployReport = {
  commit: COMMIT,
  target: 's3://dags',
  environment: null,
  airflow_version: null,
  dags: [
    {
      dag_id: 'grid',
      source: 'backtests/grid.yaml',
      action: 'create',
      imported: true,
      import_error: null,
      unpaused: true,
      triggered: true,
    },
  ],
  kept_invalid: [],
  ok: true,
  summary: '',
};

function setup() {
  const stateObject = { text: null as string | null };
  const airflow = new FakeAirflow();
  const store = new MemoryStore();
  const github = new FakeGitHub();
  const notices: string[] = [];
  let now = Date.parse('2026-01-05T08:59:00Z');
  const make = (budget = 50, maxReads = 100) =>
    new ResultsFollower({
      state: {
        read: async () => stateObject.text,
        write: async (t) => {
          stateObject.text = t;
        },
      },
      specAt: async (commit, dagId) => (commit === COMMIT && dagId === 'grid' ? spec : null),
      runs: airflow,
      storeFor: async () => store,
      github,
      notify: async (text) => {
        notices.push(text);
      },
      link: (dag, run, task, i) =>
        `https://airflow.example/log?dag_id=${dag}&run=${run}&task=${task}&map_index=${i}`,
      budget,
      maxReads,
      followHours: 48,
      now: () => now,
    });
  const ctx = { signal: new AbortController().signal, log: createLogger({ level: 'silent' }) };
  return {
    stateObject,
    airflow,
    store,
    github,
    notices,
    make,
    ctx,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('ResultsFollower', () => {
  it('follows a merged grid to one results comment edited in place, a status, and one mention', async () => {
    const t = setup();
    await t.make().track(report, t.ctx);
    expect(JSON.parse(t.stateObject.text ?? '').follows).toHaveLength(1);

    // No run yet: one list-runs request, nothing posted.
    await t.make().poll(t.ctx);
    expect(t.airflow.requests).toBe(1);
    expect(t.github.comments.size).toBe(0);

    t.airflow.runs = [
      { dag_id: 'grid', run_id: RUN, state: 'running', start_date: '2026-01-05T09:00:00+00:00' },
    ];
    t.airflow.finish([0, 1, 2], 'success');
    t.airflow.finish([3], 'failed');
    for (const i of [0, 1, 2])
      t.store.objects.set(
        `backtests/grid/${RUN}/grid/run-${String(i).padStart(5, '0')}/metrics.json`,
        metrics(i),
      );
    // A new follower object each time: everything it needs is in the stored state.
    await t.make().poll(t.ctx);
    const [first] = [...t.github.comments.entries()];
    expect(first?.[1].body).toContain(RESULTS_MARKER);
    expect(first?.[1].body).toContain('**grid**: 4/9 done, 1 failed');
    expect(first?.[1].body).toContain(
      '[log](https://airflow.example/log?dag_id=grid&run=manual__2026-01-05T09:00:00+00:00&task=backtest&map_index=3)',
    );
    expect(t.github.statuses.at(-1)).toEqual({
      sha: COMMIT,
      context: RESULTS_STATUS_CONTEXT,
      state: 'pending',
      description: '4/9 done, 1 failed',
    });
    const readsBefore = t.store.reads;

    t.airflow.runs = [{ ...(t.airflow.runs[0] as ListedDagRun), state: 'failed' }];
    t.airflow.finish([4, 5, 6, 7, 8], 'success');
    for (const i of [4, 5, 6, 7, 8])
      t.store.objects.set(
        `backtests/grid/${RUN}/grid/run-${String(i).padStart(5, '0')}/metrics.json`,
        metrics(i),
      );
    t.store.objects.set(
      `backtests/grid/${RUN}/grid/run-00006/metrics.json`,
      '{"metrics": {"sharpe": "high"}}',
    );
    await t.make().poll(t.ctx);
    // Only the 5 new runs were read: earlier outcomes come from the state.
    expect(t.store.reads - readsBefore).toBe(5);
    const results = [...t.github.comments.values()].filter((c) => c.body.includes(RESULTS_MARKER));
    expect(results).toHaveLength(1);
    expect(results[0]?.body).toContain(
      '**grid**: 9/9 done, 1 failed, 1 without readable metrics — best sharpe 2 (take_profit_pct=15, stop_loss_pct=8)',
    );
    expect(results[0]?.body).toContain(
      'run-00006 (take_profit_pct=15, stop_loss_pct=3): metrics.json is malformed: metrics.sharpe',
    );
    expect(t.github.statuses.at(-1)).toMatchObject({ state: 'failure', description: '9/9 done, 2 failed' });
    const mentions = [...t.github.comments.values()].filter((c) => c.body.includes('@alice'));
    expect(mentions).toHaveLength(1);
    expect(t.notices).toHaveLength(1);
    const csv = t.store.objects.get(`backtests/grid/${RUN}/results.csv`) ?? '';
    expect(csv.split('\r\n')[1]).toMatch(/^1,run-00008,grid,8,15,8,success,,,2,/);

    // Nothing changes any more: no request to anyone.
    const calls = t.github.calls;
    const mwaa = t.airflow.requests;
    await t.make().poll(t.ctx);
    expect([t.github.calls, t.airflow.requests]).toEqual([calls, mwaa]);

    // Long after: the reported sweep is dropped from the state, which stays small.
    t.advance(49 * 3_600_000);
    await t.make().poll(t.ctx);
    expect(JSON.parse(t.stateObject.text ?? '')).toMatchObject({ follows: [], pulls: {} });
    expect(RESULTS_STATE_KEY).toBe('.backtest-gitops/results-state.json');
  });

  it('follows only DAGs that will run, and reads no state while there is nothing to follow', async () => {
    const t = setup();
    let reads = 0;
    const follower = t.make();
    const manual = { ...report, dags: report.dags.map((d) => ({ ...d, triggered: false })) };
    await follower.track(manual, t.ctx); // grid has no schedule and was not triggered
    expect(t.stateObject.text).toBeNull();
    const counting = new ResultsFollower({
      state: {
        read: async () => {
          reads++;
          return t.stateObject.text;
        },
        write: async () => undefined,
      },
      specAt: async () => spec,
      runs: t.airflow,
      storeFor: async () => t.store,
      budget: 20,
      maxReads: 10,
      followHours: 48,
      now: () => Date.parse('2026-01-05T09:00:00Z'),
    });
    await counting.poll(t.ctx);
    await counting.poll(t.ctx);
    expect([reads, t.airflow.requests]).toEqual([1, 0]);
  });

  it('triggers a run_on_merge DAG the deploy did not trigger, and follows it', async () => {
    const t = setup();
    const triggered: string[] = [];
    const onMerge = { ...spec, run_on_merge: true };
    const follower = new ResultsFollower({
      state: {
        read: async () => t.stateObject.text,
        write: async (text) => {
          t.stateObject.text = text;
        },
      },
      specAt: async () => onMerge,
      runs: t.airflow,
      storeFor: async () => t.store,
      trigger: async (dagId) => {
        triggered.push(dagId);
      },
      budget: 20,
      maxReads: 10,
      followHours: 48,
      now: () => Date.parse('2026-01-05T09:00:00Z'),
    });
    await follower.track({ ...report, dags: report.dags.map((d) => ({ ...d, triggered: false })) }, t.ctx);
    expect(triggered).toEqual(['grid']);
    expect(JSON.parse(t.stateObject.text ?? '').follows).toHaveLength(1);
  });

  it('spends at most its read budget per poll and goes on next time', async () => {
    const t = setup();
    await t.make().track(report, t.ctx);
    t.airflow.runs = [
      { dag_id: 'grid', run_id: RUN, state: 'success', start_date: '2026-01-05T09:00:00+00:00' },
    ];
    t.airflow.finish([0, 1, 2, 3, 4, 5, 6, 7, 8], 'success');
    for (let i = 0; i < 9; i++)
      t.store.objects.set(
        `backtests/grid/${RUN}/grid/run-${String(i).padStart(5, '0')}/metrics.json`,
        metrics(i),
      );
    const follower = t.make(5, 3);
    await follower.poll(t.ctx);
    expect(follower.lastPoll).toEqual({ mwaa: 2, s3: 3, github: 2 });
    expect(t.store.reads).toBe(3);
    let polls = 1;
    while (JSON.parse(t.stateObject.text ?? '').follows[0].done === false && polls < 10) {
      await t.make(5, 3).poll(t.ctx);
      polls++;
    }
    expect(polls).toBe(3);
    expect(t.store.reads).toBe(9);
  });
});

const MULTI = `dag_id: pair
start_date: 2022-01-01
end_date: 2022-12-31
strategies:
  - name: value
    strategy_class: V
    s3_bucket: value-results
    param_grid:
      take_profit_pct: [5, 10]
  - name: momentum
    strategy_class: M
    s3_bucket: momentum-results
    param_grid:
      stop_loss_pct: [3, 5]
`;

describe('ResultsFollower, failed runs and several buckets', () => {
  const pair = loadConfigRepo(new Map([['backtests/pair.yaml', MULTI]])).specs[0] as BacktestSpec;
  const pairReport: DeployReport = {
    ...report,
    dags: report.dags.map((d) => ({ ...d, dag_id: 'pair', source: 'backtests/pair.yaml' })),
  };

  function follower(
    t: ReturnType<typeof setup>,
    stores: Record<string, MemoryStore>,
    link?: (dag: string, run: string, task: string, i: number) => string,
  ) {
    return new ResultsFollower({
      state: {
        read: async () => t.stateObject.text,
        write: async (text) => {
          t.stateObject.text = text;
        },
      },
      specAt: async () => pair,
      runs: t.airflow,
      storeFor: async (s, strategy) => {
        const bucket = s.strategies.find((x) => x.name === strategy)?.infra.results_bucket ?? '';
        const store = stores[bucket];
        if (!store) throw new Error(`no store for ${bucket}`);
        return store;
      },
      github: t.github,
      ...(link ? { link } : {}),
      budget: 20,
      maxReads: 100,
      followHours: 48,
      now: () => Date.parse('2026-01-05T08:59:00Z'),
    });
  }

  it("reads each strategy's runs from its own bucket, and names a failed run's Batch job and log from its run-status.json, once", async () => {
    const t = setup();
    const value = new MemoryStore();
    const momentum = new MemoryStore();
    const stores = { 'value-results': value, 'momentum-results': momentum };
    await follower(t, stores).track(pairReport, t.ctx);
    t.airflow.runs = [
      { dag_id: 'pair', run_id: RUN, state: 'failed', start_date: '2026-01-05T09:00:00+00:00' },
    ];
    t.airflow.states = [
      { task_id: 'value.backtest', map_index: '0', state: 'success' },
      { task_id: 'value.backtest', map_index: '1', state: 'success' },
      { task_id: 'momentum.backtest', map_index: '0', state: 'success' },
      { task_id: 'momentum.backtest', map_index: '1', state: 'failed' },
    ];
    const key = (strategy: string, i: number, file: string) =>
      `backtests/pair/${RUN}/${strategy}/run-${String(i).padStart(5, '0')}/${file}`;
    value.objects.set(key('value', 0, 'metrics.json'), metrics(0));
    value.objects.set(key('value', 1, 'metrics.json'), metrics(1));
    momentum.objects.set(key('momentum', 2, 'metrics.json'), metrics(2));
    // Written by the DAG's on_failure_callback (write_run_status), as Airflow wrote it.
    momentum.objects.set(
      key('momentum', 3, 'run-status.json'),
      JSON.stringify({
        state: 'failed',
        batch_job_id: '7f1c2b9e-5d4a-4e8b-9c1d-2a3b4c5d6e7f',
        try_number: 3,
        log_url: 'https://airflow.example/dags/pair/runs/r/tasks/momentum.backtest/mapped/1?try_number=3',
        dag_id: 'pair',
        dag_run_id: RUN,
        task_id: 'momentum.backtest',
        map_index: 1,
      }),
    );
    // No Airflow web server known: the log link comes from run-status.json.
    await follower(t, stores).poll(t.ctx);
    expect([value.reads, momentum.reads]).toEqual([2, 2]);
    const body = [...t.github.comments.values()].find((c) => c.body.includes(RESULTS_MARKER))?.body ?? '';
    // Each run shows only the parameters its strategy has.
    expect(body).toContain(
      '**pair**: 4/4 done, 1 failed — best sharpe 0.5 (strategy_class=M, stop_loss_pct=3)',
    );
    expect(body).toContain('| 2 | value/run-00001 | V | 10 |  | 0.25 |');
    expect(body).not.toContain('undefined');
    expect(body).toContain(
      '- momentum/run-00003 (strategy_class=M, stop_loss_pct=5): failed — [log](https://airflow.example/dags/pair/runs/r/tasks/momentum.backtest/mapped/1?try_number=3) · Batch job `7f1c2b9e-5d4a-4e8b-9c1d-2a3b4c5d6e7f`',
    );
    // The full table goes next to the first strategy's results, with the job id.
    const csv = value.objects.get(`backtests/pair/${RUN}/results.csv`) ?? '';
    expect(csv).toMatch(
      /,momentum\/run-00003,momentum,3,.*,failed,failed,7f1c2b9e-5d4a-4e8b-9c1d-2a3b4c5d6e7f,/,
    );
    expect(momentum.objects.has(`backtests/pair/${RUN}/results.csv`)).toBe(false);
  });

  it("keeps what run-status.json said across polls without reading it again, and prefers Airflow's own log link", async () => {
    const t = setup();
    const value = new MemoryStore();
    const momentum = new MemoryStore();
    const stores = { 'value-results': value, 'momentum-results': momentum };
    const link = (dag: string, run: string, task: string, i: number) =>
      `https://mwaa.example/log?dag_id=${dag}&dag_run_id=${run}&task_id=${task}&map_index=${i}`;
    await follower(t, stores, link).track(pairReport, t.ctx);
    t.airflow.runs = [
      { dag_id: 'pair', run_id: RUN, state: 'running', start_date: '2026-01-05T09:00:00+00:00' },
    ];
    t.airflow.states = [{ task_id: 'value.backtest', map_index: '1', state: 'failed' }];
    value.objects.set(
      `backtests/pair/${RUN}/value/run-00001/run-status.json`,
      JSON.stringify({ state: 'failed', batch_job_id: 'job-1', log_url: 'https://elsewhere.example/x' }),
    );
    await follower(t, stores, link).poll(t.ctx);
    await follower(t, stores, link).poll(t.ctx);
    expect([value.reads, momentum.reads]).toEqual([1, 0]);
    const stored = JSON.parse(t.stateObject.text ?? '').follows[0].runs['1'];
    expect(stored).toEqual({
      state: 'failed',
      link: link('pair', RUN, 'value.backtest', 1),
      batch_job_id: 'job-1',
      status_read: true,
    });
    const body = [...t.github.comments.values()].find((c) => c.body.includes(RESULTS_MARKER))?.body ?? '';
    expect(body).toContain('· Batch job `job-1`');
    expect(body).not.toContain('elsewhere.example');
  });
});
