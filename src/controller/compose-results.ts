import { createHash } from 'node:crypto';
import { loadConfigRepo } from '../config/index.js';
import type { BacktestSpec } from '../config/types.js';
import type { MwaaConnection } from '../mwaa/mwaa-connection.js';
import { airflowMajorVersion, dagRunReader } from '../results/airflow-runs.js';
import type { ResultsStore } from '../results/results-store.js';
import { resultsS3Client, S3ResultsStore } from '../results/s3-results-store.js';
import { taskLogUrl } from '../results/sweep-runs.js';
import type { EnvOptions } from '../shared/env.js';
import { MwaaError } from '../shared/errors.js';
import type { DagStore } from '../targets/dag-store.js';
import type { ControllerConfig } from './load-controller-config.js';
import { ResultsFollower, type ResultsGitHubPort } from './results-follower.js';
import type { ResultsPort } from './results-port.js';
import { RESULTS_STATE_KEY } from './results-state.js';

export interface ComposeResultsOptions {
  config: Pick<ControllerConfig, 'results' | 'repo'>;
  env: EnvOptions;
  connection: MwaaConnection;
  openStore: () => Promise<DagStore>;
  readConfigFiles: (sha: string) => Promise<Map<string, string>>;
  github?: ResultsGitHubPort;
  /** Results bucket store for a bucket name (tests pass one on moto). */
  resultsStore?: (bucket: string) => ResultsStore;
  now?: () => number;
}

/**
 * The results follower on the real parts: Airflow through the MWAA CLI endpoint, the results
 * buckets in S3 (each strategy's s3_bucket, else the Airflow Variable trading_strategies_bucket),
 * state next to the manifest in the DAG target, GitHub, and the optional webhook.
 */
export function composeResults(opts: ComposeResultsOptions): ResultsPort {
  const { connection } = opts;
  let major: Promise<number> | null = null;
  const airflowMajor = () => {
    major ??= connection.airflow.version().then(airflowMajorVersion, (err: unknown) => {
      major = null;
      throw err;
    });
    return major;
  };
  let webserver: Promise<string> | null = null;
  const webserverHost = () => {
    webserver ??= connection.controlPlane.createCliToken(connection.environment).then(
      (t) => t.webserverHostname,
      (err: unknown) => {
        webserver = null;
        throw err;
      },
    );
    return webserver;
  };
  let variableBucket: Promise<string | null> | null = null;
  const stores = new Map<string, ResultsStore>();
  const makeStore =
    opts.resultsStore ?? ((bucket: string) => new S3ResultsStore(resultsS3Client(opts.env), bucket));
  // Specs by commit: the same merge commit is read from the git cache once per process.
  const specs = new Map<string, Promise<BacktestSpec[]>>();
  const environment = opts.config.repo.environment;
  const webhook = opts.config.results.webhook_url;

  let version = 2;
  let host = '';
  const follower = new ResultsFollower({
    state: {
      read: async () => (await opts.openStore()).get(RESULTS_STATE_KEY),
      write: async (text) => {
        const store = await opts.openStore();
        const sha256 = createHash('sha256').update(text).digest('hex');
        await store.put(
          RESULTS_STATE_KEY,
          text,
          { sha256, source: null, commit: 'results' },
          { mode: 'adopt' },
        );
      },
    },
    async specAt(commit, dagId) {
      let loaded = specs.get(commit);
      if (!loaded) {
        loaded = opts
          .readConfigFiles(commit)
          .then((files) => loadConfigRepo(files, environment ? { environment } : {}).specs);
        specs.set(commit, loaded);
      }
      return (await loaded).find((s) => s.dag_id === dagId) ?? null;
    },
    runs: dagRunReader(connection.cli, async () => {
      version = await airflowMajor();
      host = await webserverHost().catch((err: unknown) => {
        // MWAA refused or could not be reached: no log links in this summary; the next poll asks again.
        if (err instanceof MwaaError) return '';
        throw err;
      });
      return version;
    }),
    async storeFor(spec, strategy) {
      const own = spec.strategies.find((s) => s.name === strategy) ?? spec.strategies[0];
      let bucket = own?.infra.results_bucket ?? null;
      if (!bucket) {
        variableBucket ??= connection.airflow.getVariable('trading_strategies_bucket');
        bucket = await variableBucket;
      }
      if (!bucket)
        throw new Error(
          `no results bucket for ${spec.dag_id}: set s3_bucket or the Airflow Variable trading_strategies_bucket`,
        );
      let store = stores.get(bucket);
      if (!store) {
        store = makeStore(bucket);
        stores.set(bucket, store);
      }
      return store;
    },
    trigger: (dagId) => connection.airflow.trigger(dagId),
    ...(opts.github ? { github: opts.github } : {}),
    ...(webhook ? { notify: (text: string) => postWebhook(webhook, text) } : {}),
    link: (dagId, runId, taskId, mapIndex) =>
      host ? taskLogUrl(host, version, dagId, runId, taskId, mapIndex) : '',
    budget: opts.config.results.max_requests_per_loop,
    maxReads: opts.config.results.max_reads_per_loop,
    followHours: opts.config.results.follow_hours,
    now: opts.now ?? Date.now,
  });
  return follower;
}

/** Slack's incoming-webhook shape ({"text": ...}); Mattermost, Teams workflows and others accept it. */
async function postWebhook(url: string, text: string): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ text }),
    signal: AbortSignal.timeout(10_000),
  });
  // The URL is the secret: never put it in the error.
  if (!res.ok) throw new Error(`the results webhook answered HTTP ${res.status}`);
}
