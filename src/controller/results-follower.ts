import { createHash } from 'node:crypto';
import type { BacktestSpec } from '../config/types.js';
import type { CommitState, PullRequestInfo, UpsertOutcome } from '../github/types.js';
import type { DeployReport } from '../mwaa/deploy-report.js';
import { type DagRunReader, dagRunFinished, type ListedDagRun } from '../results/airflow-runs.js';
import { reportSettings } from '../results/collect-dag-run.js';
import { readMetrics, readRunStatus } from '../results/read-results.js';
import { renderResultsCsv } from '../results/render-csv.js';
import { RESULTS_MARKER, renderResultsComment, summaryLine } from '../results/render-markdown.js';
import { dagRunPrefix, metricsKey, type ResultsStore, runStatusKey } from '../results/results-store.js';
import { summarizeResults } from '../results/summarize.js';
import { runsWithStates } from '../results/sweep-runs.js';
import type { MetricsOutcome, ResultsSummary, RunOutcome } from '../results/types.js';
import type { StepContext } from './ports.js';
import {
  compactOutcome,
  type Follow,
  parseResultsState,
  type ResultsState,
  stateText,
} from './results-state.js';

export const RESULTS_STATUS_CONTEXT = 'backtest-gitops/results';
/** How long a poll trusts that there is nothing to follow before reading the state again. */
export const IDLE_RECHECK_MS = 10 * 60_000;

/** The GitHub calls the follower makes; OctokitGitHub has them all. */
export interface ResultsGitHubPort {
  pullsForCommit(sha: string): Promise<PullRequestInfo[]>;
  upsertMarkedComment(
    pr: number,
    marker: string,
    body: string,
    knownId?: number | null,
  ): Promise<{ outcome: UpsertOutcome; id: number }>;
  commentOnPull(pr: number, body: string): Promise<void>;
  setStatus(sha: string, context: string, state: CommitState, description: string): Promise<boolean>;
}

export interface ResultsFollowerDeps {
  /** The state object next to the manifest. */
  state: { read(): Promise<string | null>; write(text: string): Promise<void> };
  /** The spec of a DAG at a commit (null: gone or invalid there). */
  specAt(commit: string, dagId: string): Promise<BacktestSpec | null>;
  runs: DagRunReader;
  /**
   * The results store of one strategy of a spec (its s3_bucket, else the Airflow Variable):
   * a multi-strategy DAG may write each strategy's runs to its own bucket.
   */
  storeFor(spec: BacktestSpec, strategy: string): Promise<ResultsStore>;
  github?: ResultsGitHubPort;
  /** Triggers a DAG run (for configs with run_on_merge the deploy did not trigger already). */
  trigger?: (dagId: string) => Promise<void>;
  /** Slack-compatible incoming webhook: called once per PR when all its runs are done. */
  notify?: (text: string) => Promise<void>;
  link?: (dagId: string, runId: string, taskId: string, mapIndex: number) => string;
  /** MWAA CLI requests one reconcile may spend following runs (2 per DAG followed). */
  budget: number;
  /** metrics.json reads one reconcile may spend; the rest wait for the next one. */
  maxReads: number;
  /** A DAG that has not started a run this long after its deploy is no longer waited for. */
  followHours: number;
  now: () => number;
}

/**
 * Follows the DAG runs that a merge created or changed, and keeps one results comment on
 * the merged PR: `track` adds the DAGs of a deploy, `poll` spends at most `budget` MWAA
 * requests and `maxReads` S3 reads per reconcile (round-robin across DAGs, metrics.json read
 * once per run; never one request per task) and updates the
 * comment, the `backtest-gitops/results` status and, once all runs are done, mentions the PR
 * author once. Everything it knows is in the state object, none of it in memory.
 */
export class ResultsFollower {
  /** Requests spent by the last poll, by kind (for the benchmark and the log). */
  lastPoll = { mwaa: 0, s3: 0, github: 0 };

  constructor(private readonly deps: ResultsFollowerDeps) {}

  /**
   * Until when a poll can skip reading the state: it held nothing to follow. Only a cache of
   * what the state said (re-read every IDLE_RECHECK_MS, as another replica may have written
   * it); `track` clears it.
   */
  private idleUntil = 0;

  async track(report: DeployReport, ctx: StepContext): Promise<void> {
    // Only DAGs that will run: triggered by the deploy or here (run_on_merge), or on a
    // schedule. A manual DAG is not followed: nobody said it would run.
    const changed = report.dags.filter((d) => d.action === 'create' || d.action === 'update');
    const dags = [];
    for (const d of changed) {
      const spec = d.triggered ? null : await this.deps.specAt(report.commit, d.dag_id);
      if (!d.triggered && spec?.run_on_merge && this.deps.trigger) {
        await this.deps.trigger(d.dag_id);
        ctx.log.info({ dag: d.dag_id, commit: report.commit }, 'triggered on merge (run_on_merge)');
        dags.push(d);
      } else if (d.triggered || spec?.schedule) dags.push(d);
    }
    if (dags.length === 0) return;
    this.idleUntil = 0;
    const state = await this.load();
    let pr: PullRequestInfo | null = null;
    if (this.deps.github) {
      const pulls = await this.deps.github.pullsForCommit(report.commit);
      pr = pulls.find((p) => p.merged) ?? pulls[0] ?? null;
    }
    const since = new Date(this.deps.now()).toISOString();
    for (const dag of dags) {
      state.follows = state.follows.filter((f) => !(f.dag_id === dag.dag_id && !f.done));
      state.follows.push({
        dag_id: dag.dag_id,
        commit: report.commit,
        since,
        pr: pr?.number ?? null,
        run_id: null,
        done: false,
        outcomes: {},
        runs: {},
        csv: null,
      });
    }
    if (pr && !state.pulls[pr.number]) {
      state.pulls[pr.number] = {
        author: pr.author ?? null,
        comment_id: null,
        body_sha256: null,
        status: null,
        notified: false,
      };
    }
    ctx.log.info(
      { commit: report.commit, dags: dags.map((d) => d.dag_id), pr: pr?.number },
      'following runs',
    );
    await this.save(state);
  }

  async poll(ctx: StepContext): Promise<{ followed: number; active: number }> {
    this.lastPoll = { mwaa: 0, s3: 0, github: 0 };
    if (this.deps.now() < this.idleUntil) return { followed: 0, active: 0 };
    const state = await this.load();
    const active = state.follows.filter((f) => !f.done);
    if (active.length === 0) {
      this.idleUntil = this.deps.now() + IDLE_RECHECK_MS;
      const kept = state.follows.length;
      this.forgetFinished(state);
      if (state.follows.length !== kept) await this.save(state);
      return { followed: 0, active: 0 };
    }
    const touched = new Set<number>();
    const budget = { mwaa: this.deps.budget, reads: this.deps.maxReads };
    let followed = 0;
    const start = state.cursor % active.length;
    for (let i = 0; i < active.length && budget.mwaa >= 2; i++) {
      ctx.signal.throwIfAborted();
      const follow = active[(start + i) % active.length] as Follow;
      await this.advance(follow, budget);
      followed++;
      state.cursor = (start + i + 1) % Math.max(1, active.length);
      if (follow.pr !== null) touched.add(follow.pr);
    }
    state.follows = state.follows.filter((f) => f.done || f.run_id !== null || !this.expired(f));
    for (const pr of touched) await this.reportPull(state, pr, ctx);
    this.forgetFinished(state);
    await this.save(state);
    return { followed, active: state.follows.filter((f) => !f.done).length };
  }

  /** One DAG: find its run, read its task states and new metrics, spending from `budget`. */
  private async advance(follow: Follow, budget: { mwaa: number; reads: number }): Promise<void> {
    const spec = await this.deps.specAt(follow.commit, follow.dag_id);
    if (!spec) {
      follow.done = true;
      return;
    }
    budget.mwaa--;
    this.lastPoll.mwaa++;
    const listed = await this.deps.runs.listRuns(follow.dag_id);
    const run = follow.run_id
      ? listed.find((r) => r.run_id === follow.run_id)
      : firstRunSince(listed, follow.since);
    if (!run) return;
    follow.run_id = run.run_id;
    budget.mwaa--;
    this.lastPoll.mwaa++;
    const states = await this.deps.runs.taskStates(follow.dag_id, run.run_id);
    const link = this.deps.link;
    const expected = runsWithStates(
      spec,
      states,
      link ? (taskId, mapIndex) => link(follow.dag_id, run.run_id, taskId, mapIndex) : undefined,
    );
    const prefix = dagRunPrefix(follow.dag_id, run.run_id);
    let unread = 0;
    for (const r of expected) {
      const seen = follow.runs[r.index];
      // What run-status.json said stays: a later pass has no reason to read it again.
      const statusKept = seen?.status_read === true && r.state === 'failed';
      const kept = statusKept
        ? { status_read: true, ...(seen.batch_job_id ? { batch_job_id: seen.batch_job_id } : {}) }
        : {};
      const link = r.link || (statusKept ? seen.link : undefined);
      const entry: Follow['runs'][string] = { state: r.state, ...(link ? { link } : {}), ...kept };
      follow.runs[r.index] = entry;
      const wanted =
        (r.state === 'success' && !follow.outcomes[r.index]) || (r.state === 'failed' && !entry.status_read);
      if (!wanted) continue;
      if (budget.reads <= 0) {
        unread++;
        continue;
      }
      budget.reads--;
      this.lastPoll.s3++;
      const store = await this.deps.storeFor(spec, r.strategy);
      if (r.state === 'failed') {
        // A failed run wrote no metrics.json; the DAG's failure callback left its Batch job
        // id and task-log URL in run-status.json (absent when the callback could not write).
        const status = await readRunStatus(store, runStatusKey(prefix, r.strategy, r.index));
        const link = entry.link || status?.logUrl;
        follow.runs[r.index] = {
          ...entry,
          status_read: true,
          ...(link ? { link } : {}),
          ...(status?.batchJobId ? { batch_job_id: status.batchJobId } : {}),
        };
        continue;
      }
      const outcome = compactOutcome(await readMetrics(store, metricsKey(prefix, r.strategy, r.index)));
      if (outcome) follow.outcomes[r.index] = outcome;
    }
    if (dagRunFinished(run.state) && unread === 0) {
      follow.done = true;
      const summary = this.summarize(spec, follow);
      // The table goes next to the first strategy's results.
      const store = await this.deps.storeFor(spec, spec.strategies[0]?.name ?? '');
      const key = `${prefix}results.csv`;
      await store.write(key, renderResultsCsv(summary), 'text/csv');
      this.lastPoll.s3++;
      follow.csv = `${store.location}/${key}`;
    }
  }

  private summarize(spec: BacktestSpec, follow: Follow): ResultsSummary {
    const runs: RunOutcome[] = runsWithStates(spec, []).map((r) => {
      const seen = follow.runs[r.index];
      const outcome = follow.outcomes[r.index] as MetricsOutcome | undefined;
      return {
        ...r,
        state: seen?.state ?? 'pending',
        ...(seen?.link ? { link: seen.link } : {}),
        ...(seen?.batch_job_id ? { batchJobId: seen.batch_job_id } : {}),
        metrics: outcome ?? { kind: 'not-read' },
      };
    });
    return summarizeResults({
      dagId: follow.dag_id,
      dagRunId: follow.run_id,
      trials: spec.runs,
      report: reportSettings(spec),
      runs,
    });
  }

  private async reportPull(state: ResultsState, pr: number, ctx: StepContext): Promise<void> {
    const github = this.deps.github;
    const pull = state.pulls[pr];
    if (!github || !pull) return;
    const follows = state.follows.filter((f) => f.pr === pr && f.run_id !== null);
    const summaries: ResultsSummary[] = [];
    // A Map: a DAG id may be `constructor` or `__proto__`, which an object literal would answer for.
    const csv = new Map<string, string>();
    for (const f of follows) {
      const spec = await this.deps.specAt(f.commit, f.dag_id);
      if (!spec) continue;
      summaries.push(this.summarize(spec, f));
      if (f.csv) csv.set(f.dag_id, f.csv);
    }
    if (summaries.length === 0) return;
    const allDone = follows.every((f) => f.done) && state.follows.every((f) => f.pr !== pr || f.done);
    const body = renderResultsComment({ summaries, csvLocations: csv });
    const sha = createHash('sha256').update(body).digest('hex');
    if (sha !== pull.body_sha256) {
      const { id } = await github.upsertMarkedComment(pr, RESULTS_MARKER, body, pull.comment_id);
      this.lastPoll.github++;
      pull.comment_id = id;
      pull.body_sha256 = sha;
    }
    const status = statusOf(summaries, allDone);
    const statusKey = `${status.state}:${status.description}`;
    const commit = follows[follows.length - 1]?.commit;
    if (commit && statusKey !== pull.status) {
      await github.setStatus(commit, RESULTS_STATUS_CONTEXT, status.state, status.description);
      this.lastPoll.github++;
      pull.status = statusKey;
    }
    if (allDone && !pull.notified) {
      const lines = summaries.map((s) => `- ${summaryLine(s)}`).join('\n');
      const who = pull.author ? `@${pull.author} ` : '';
      await github.commentOnPull(pr, `${who}all backtest runs of this merge are done:\n\n${lines}\n`);
      this.lastPoll.github++;
      if (this.deps.notify) {
        const plain = summaries.map((s) => summaryLine(s).replace(/\*\*/g, '')).join('\n');
        // catch-all: the webhook is a courtesy copy of the PR comment; its failure is logged, the comment stands.
        await this.deps.notify(`Backtests of PR #${pr} are done:\n${plain}`).catch((err: unknown) => {
          ctx.log.warn({ pr, err: (err as Error).message }, 'results webhook failed');
        });
      }
      pull.notified = true;
    }
  }

  /**
   * Keeps the state small: a sweep that is done and reported (its PR told, or no PR) is
   * dropped once it is older than followHours, and so is a PR with nothing left.
   */
  private forgetFinished(state: ResultsState): void {
    state.follows = state.follows.filter((f) => {
      const reported = f.pr === null || state.pulls[f.pr]?.notified === true;
      return !(f.done && reported && this.expired(f));
    });
    for (const pr of Object.keys(state.pulls)) {
      if (!state.follows.some((f) => String(f.pr) === pr)) delete state.pulls[pr];
    }
  }

  private expired(f: Follow): boolean {
    return this.deps.now() - Date.parse(f.since) > this.deps.followHours * 3_600_000;
  }

  private async load(): Promise<ResultsState> {
    return parseResultsState(await this.deps.state.read());
  }

  private async save(state: ResultsState): Promise<void> {
    await this.deps.state.write(stateText(state));
  }
}

/** The first run that started at or after the deploy (a minute of clock skew allowed). */
function firstRunSince(runs: readonly ListedDagRun[], since: string): ListedDagRun | undefined {
  const from = Date.parse(since) - 60_000;
  const when = (r: ListedDagRun) =>
    Date.parse(r.start_date || r.run_after || r.logical_date || r.execution_date || '');
  return [...runs].filter((r) => when(r) >= from).sort((a, b) => when(a) - when(b))[0];
}

/** `7/9 done, 1 failed`, pending until every run is done, then success or failure. */
export function statusOf(
  summaries: readonly ResultsSummary[],
  allDone: boolean,
): { state: CommitState; description: string } {
  const total = summaries.reduce((n, s) => n + s.counts.total, 0);
  const done = summaries.reduce((n, s) => n + s.counts.done, 0);
  const failed = summaries.reduce((n, s) => n + s.counts.failed + s.counts.unreadable, 0);
  const description = `${done}/${total} done${failed ? `, ${failed} failed` : ''}`;
  if (!allDone) return { state: 'pending', description };
  return { state: failed > 0 ? 'failure' : 'success', description };
}
