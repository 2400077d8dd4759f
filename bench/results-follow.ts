/**
 * Cost of following sweeps after a merge: 10 DAGs × 100 runs (10 × 10 grids) deployed by one
 * merged PR, Airflow finishing 20 runs per DAG per minute, the controller polling once a
 * minute. Airflow (the MWAA CLI endpoint), the results bucket and GitHub are in-process
 * stand-ins that count requests; the follower, its state file and the rendering are the real
 * code. Prints requests per loop by kind, and loops from the last run finishing to the
 * comment showing it. Run: npx tsx bench/results-follow.ts
 */
import { loadConfigRepo } from '../src/config/index.js';
import type { BacktestSpec } from '../src/config/types.js';
import { ResultsFollower, type ResultsGitHubPort } from '../src/controller/results-follower.js';
import type { DeployReport } from '../src/mwaa/deploy-report.js';
import type { DagRunReader, ListedDagRun, TaskInstanceState } from '../src/results/airflow-runs.js';
import type { ResultsStore } from '../src/results/results-store.js';
import { createLogger } from '../src/shared/logger.js';

const DAGS = 10;
const GRID = [10, 10];
const PER_MINUTE = 20;
const RUN = 'manual__2026-01-05T09:00:00+00:00';
const T0 = Date.parse('2026-01-05T08:59:00Z');

const files = new Map<string, string>();
for (let d = 0; d < DAGS; d++) {
  const axis = (n: number, base: number) => Array.from({ length: n }, (_, i) => base + i).join(', ');
  files.set(
    `backtests/sweep_${d}.yaml`,
    `strategy_class: S\nstart_date: 2022-01-01\nend_date: 2022-12-31\nparam_grid:\n  take_profit_pct: [${axis(GRID[0] ?? 1, 1)}]\n  stop_loss_pct: [${axis(GRID[1] ?? 1, 1)}]\n`,
  );
}
const specs = loadConfigRepo(files).specs;
const RUNS = specs[0]?.runs ?? 0;

let minute = 0;
const requests = { mwaa: 0, s3: 0, github: 0 };
const airflow: DagRunReader = {
  get requests() {
    return requests.mwaa;
  },
  async listRuns(dagId): Promise<ListedDagRun[]> {
    requests.mwaa++;
    const finished = Math.min(RUNS, minute * PER_MINUTE) >= RUNS;
    return [
      {
        dag_id: dagId,
        run_id: RUN,
        state: finished ? 'success' : 'running',
        start_date: '2026-01-05T09:00:00+00:00',
      },
    ];
  },
  async taskStates(): Promise<TaskInstanceState[]> {
    requests.mwaa++;
    const done = Math.min(RUNS, minute * PER_MINUTE);
    return Array.from({ length: RUNS }, (_, i) => ({
      task_id: 'backtest',
      map_index: String(i),
      state: i < done ? 'success' : i < done + PER_MINUTE ? 'running' : null,
    }));
  },
};
const store: ResultsStore = {
  location: 's3://results',
  async list() {
    return [];
  },
  async read(key) {
    requests.s3++;
    const index = Number(/run-(\d+)/.exec(key)?.[1]);
    return JSON.stringify({
      metrics: { sharpe: Math.sin(index) + 1, total_return: index / 1000 },
      n_observations: 252,
      skew: -0.1,
      kurtosis: 3.4,
    });
  },
  async write() {
    requests.s3++;
  },
};
let lastComment = '';
const github: ResultsGitHubPort = {
  async pullsForCommit() {
    requests.github++;
    return [
      {
        number: 1,
        state: 'closed',
        merged: true,
        headSha: 'h',
        headRef: 'b',
        baseRef: 'main',
        fromFork: false,
        title: 't',
        htmlUrl: '',
        author: 'alice',
      },
    ];
  },
  async upsertMarkedComment(_pr, _marker, body, knownId) {
    requests.github++;
    lastComment = body;
    return { outcome: knownId ? 'updated' : 'created', id: knownId ?? 1 };
  },
  async commentOnPull() {
    requests.github++;
  },
  async setStatus() {
    requests.github++;
    return true;
  },
};

let stateText: string | null = null;
const follower = () =>
  new ResultsFollower({
    state: {
      read: async () => stateText,
      write: async (t) => {
        stateText = t;
      },
    },
    specAt: async (_c, dagId) => specs.find((s) => s.dag_id === dagId) ?? (null as BacktestSpec | null),
    runs: airflow,
    storeFor: async () => store,
    github,
    budget: 20,
    maxReads: 1000,
    followHours: 72,
    now: () => T0 + minute * 60_000,
  });
const ctx = { signal: new AbortController().signal, log: createLogger({ level: 'silent' }) };
const report: DeployReport = {
  commit: 'c'.repeat(40),
  target: 's3://dags',
  environment: null,
  airflow_version: null,
  dags: specs.map((s) => ({
    dag_id: s.dag_id,
    source: s.source,
    action: 'create' as const,
    imported: true,
    import_error: null,
    unpaused: true,
    triggered: true,
  })),
  kept_invalid: [],
  ok: true,
  summary: '',
};
await follower().track(report, ctx);

const lastRunMinute = Math.ceil(RUNS / PER_MINUTE);
console.log(
  `following ${DAGS} DAGs × ${RUNS} runs; Airflow finishes ${PER_MINUTE} runs per DAG per minute; one poll a minute`,
);
console.log('| loop | MWAA CLI requests | S3 reads/writes | GitHub requests | comment says |');
console.log('|---:|---:|---:|---:|---|');
let shownAt: number | null = null;
let pollMs = 0;
for (minute = 1; minute <= lastRunMinute + 5 && shownAt === null; minute++) {
  const before = { ...requests };
  const started = performance.now();
  await follower().poll(ctx);
  pollMs = performance.now() - started;
  const done = /(\d+)\/\d+ done/g;
  const counts = [...lastComment.matchAll(done)].slice(0, DAGS).map((m) => Number(m[1]));
  const total = counts.reduce((a, b) => a + b, 0);
  console.log(
    `| ${minute} | ${requests.mwaa - before.mwaa} | ${requests.s3 - before.s3} | ${requests.github - before.github} | ${total}/${DAGS * RUNS} done |`,
  );
  if (total === DAGS * RUNS) shownAt = minute;
}
console.log(
  `\nlast run finished in minute ${lastRunMinute}; the comment showed all ${DAGS * RUNS} done at poll ${shownAt} ` +
    `(${shownAt === null ? '—' : shownAt - lastRunMinute} poll(s) later: at most one poll interval plus ` +
    `${pollMs.toFixed(0)} ms of work in that poll); comment ${lastComment.length} characters`,
);
console.log(
  `peer: polling each task instance (airflow tasks state per run) costs ${DAGS * RUNS} MWAA requests per loop until done`,
);
