import type { JsonValue } from '../config/types.js';
import type { MetricsFile } from './metrics-file.js';

/** What Airflow says about one run's task instance, reduced to what the report needs. */
export type RunState = 'success' | 'failed' | 'running' | 'pending';

/** What was found at a run's metrics.json. */
export type MetricsOutcome =
  | { kind: 'ok'; file: MetricsFile }
  | { kind: 'missing' }
  | { kind: 'invalid'; problem: string }
  | { kind: 'not-read' };

/** One backtest run as the results are assembled: parameters, Airflow state, metrics. */
export interface RunOutcome {
  /** The run's global index in the DAG (BACKTEST_RUN_INDEX). */
  index: number;
  strategy: string;
  /** The parameters the grid varies (and any others); keys as in the config. */
  params: Record<string, JsonValue>;
  state: RunState;
  metrics: MetricsOutcome;
  /** Airflow task log or Batch console link, for failed runs. */
  link?: string;
  batchJobId?: string;
}

/** report: in a config: what ranks the runs and which metrics are shown. */
export interface ReportSettings {
  /** Metric the runs are ranked by, highest first (default sharpe). */
  objective: string;
  /** Metric columns of the table, in order. */
  metrics: string[];
}

export const DEFAULT_REPORT: ReportSettings = {
  objective: 'sharpe',
  metrics: ['sharpe', 'total_return', 'max_drawdown', 'trades'],
};

export interface ResultsInput {
  dagId: string;
  dagRunId: string | null;
  /** Combinations tried: the grid size, failed runs included (N of the DSR). */
  trials: number;
  report: ReportSettings;
  runs: RunOutcome[];
}

export interface RankedRun {
  rank: number;
  run: RunOutcome;
  /** Name shown for the run: `run-00003` (prefixed by the strategy in multi-strategy DAGs). */
  name: string;
  objective: number;
  values: Record<string, number | null>;
}

export interface UnrankedRun {
  run: RunOutcome;
  name: string;
  /** Why the run has no place in the ranking, in plain words. */
  reason: string;
}

export interface HeatmapCell {
  value: number | null;
  best: boolean;
}

export interface Heatmap {
  rowKey: string;
  columnKey: string;
  rows: JsonValue[];
  columns: JsonValue[];
  cells: HeatmapCell[][];
  min: number;
  max: number;
}

export interface MarginalMeans {
  key: string;
  values: { value: JsonValue; mean: number | null; runs: number }[];
}

export type OverfittingCheck =
  | {
      kind: 'computed';
      trials: number;
      /** Annualised Sharpe ratio of the best run. */
      sharpe: number;
      /** Annualised variance of the runs' Sharpe ratios (0 for one trial). */
      variance: number;
      /** Annualised Sharpe the best of `trials` null strategies is expected to reach. */
      threshold: number;
      psr: number;
      dsr: number;
      observations: number;
      skew: number;
      kurtosis: number;
      periodsPerYear: number;
      significant: boolean;
      sentence: string;
    }
  | { kind: 'unavailable'; missing: string[]; sentence: string };

export interface ResultsSummary {
  dagId: string;
  dagRunId: string | null;
  report: ReportSettings;
  trials: number;
  counts: {
    total: number;
    done: number;
    succeeded: number;
    failed: number;
    pending: number;
    unreadable: number;
  };
  ranked: RankedRun[];
  unranked: UnrankedRun[];
  /** Parameter keys whose values differ between runs, in first-seen order. */
  varying: string[];
  heatmap: Heatmap | null;
  marginals: MarginalMeans[];
  overfitting: OverfittingCheck;
  /** True when no run is pending or running. */
  complete: boolean;
}
