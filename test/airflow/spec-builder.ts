import { createHash } from 'node:crypto';
import type { BacktestSpec, JsonValue, StrategySpec } from '../../src/config/types.js';

/**
 * Builds BacktestSpec objects by hand, the way the config loader would produce them, for
 * tests that exercise render without going through YAML.
 */
export interface StrategyInput {
  name?: string;
  strategy_class?: string;
  start_date?: string;
  end_date?: string;
  parameters?: Record<string, JsonValue>;
  param_grid?: Record<string, JsonValue[]>;
  infra?: Partial<StrategySpec['infra']>;
}

export interface SpecInput extends Omit<Partial<BacktestSpec>, 'strategies'> {
  dag_id: string;
  strategies?: StrategyInput[];
}

export function buildStrategy(input: StrategyInput, fallbackName: string): StrategySpec {
  const param_grid = input.param_grid ?? {};
  return {
    name: input.name ?? fallbackName,
    strategy_class: input.strategy_class ?? 'LongShortEquityStrategy',
    start_date: input.start_date ?? '2022-01-01',
    end_date: input.end_date ?? '2022-12-31',
    parameters: input.parameters ?? { initial_capital: 1000000 },
    param_grid,
    infra: { job_queue: null, job_definition: null, results_bucket: null, db_conn_id: null, ...input.infra },
    runs: Object.values(param_grid).reduce((n, values) => n * values.length, 1),
  };
}

export function buildSpec(input: SpecInput): BacktestSpec {
  const multi = input.multi_strategy ?? (input.strategies?.length ?? 1) > 1;
  const strategies = (input.strategies ?? [{}]).map((s, i) =>
    buildStrategy(s, multi ? `s${i}` : input.dag_id),
  );
  const source = input.source ?? `backtests/${input.dag_id}.yaml`;
  return {
    source,
    source_sha256: input.source_sha256 ?? createHash('sha256').update(source).digest('hex'),
    dag_id: input.dag_id,
    description: input.description ?? null,
    tags: input.tags ?? ['backtest'],
    schedule: input.schedule ?? null,
    owner: input.owner ?? 'research',
    retries: input.retries ?? 2,
    batch_attempts: input.batch_attempts ?? 3,
    callbacks: input.callbacks ?? { before: null, after: null },
    strategies,
    multi_strategy: multi,
    runs: strategies.reduce((n, s) => n + s.runs, 0),
  };
}

/** The seed's three examples (1, 9 and 9 runs) plus a multi-strategy DAG. */
export function seedSpecs(): BacktestSpec[] {
  return [
    buildSpec({
      dag_id: 'seed_single',
      strategies: [
        {
          parameters: {
            initial_capital: 1000000,
            factors: ['DebtToEquity'],
            rebalance_period: 1,
            take_profit_pct: 10,
            stop_loss_pct: 5,
          },
        },
      ],
    }),
    buildSpec({
      dag_id: 'seed_grid',
      strategies: [
        {
          parameters: {
            initial_capital: 1000000,
            factors: ['DebtToEquity'],
            rebalance_period: 1,
            take_profit_pct: 10,
            stop_loss_pct: 5,
          },
          param_grid: { take_profit_pct: [5, 10, 15], stop_loss_pct: [3, 5, 8] },
        },
      ],
    }),
    buildSpec({
      dag_id: 'seed_mixed',
      strategies: [
        {
          parameters: {
            initial_capital: 1000000,
            factors: ['DebtToEquity'],
            rebalance_period: 1,
            take_profit_pct: 10,
            stop_loss_pct: 5,
            cooldown_period: 5,
          },
          param_grid: { take_profit_pct: [5, 10, 15], rebalance_period: [1, 7, 30] },
        },
      ],
    }),
    buildSpec({
      dag_id: 'seed_multi',
      description: 'Momentum vs value',
      callbacks: {
        before: 'backtest_gitops_support.callbacks.check_batch_queue_status',
        after: 'backtest_gitops_support.callbacks.generate_backtest_report',
      },
      strategies: [
        {
          name: 'momentum',
          strategy_class: 'MomentumStrategy',
          param_grid: { lookback: [20, 60] },
          parameters: { initial_capital: 500000, lookback: 20 },
        },
        {
          name: 'value',
          strategy_class: 'ValueStrategy',
          infra: { job_queue: 'value-queue', db_conn_id: 'research_db' },
        },
      ],
    }),
  ];
}
