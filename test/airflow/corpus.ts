import type { BacktestSpec, JsonValue } from '../../src/config/types.js';
import { buildSpec, type StrategyInput } from './spec-builder.js';

/** A small seeded PRNG (mulberry32): the corpus is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Values whose text forms differ between languages if anyone re-formats them.
const NUMBERS = [0, 1, -3, 0.1, 2.5, -0.75, 1e-7, 1.5e21, 123456789012, 100.0, 0.30000000000000004, 7];
const STRINGS = ['daily', 'SPY', 'a b', 'x=y', '', 'naïve', 'tab\there'];
const SCHEDULES = [null, '@daily', '0 6 * * 1-5', '@weekly'];

/**
 * `count` varied specs: single and multi-strategy, grids over seed and free-form parameters
 * with numbers, strings, booleans, lists and objects, infra set or left to Variables, a
 * 2,500-run grid and a strategy above max_map_length.
 */
export function generateCorpus(count: number, seed = 20240611): BacktestSpec[] {
  const rand = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const value = (): JsonValue => {
    const kind = Math.floor(rand() * 6);
    if (kind <= 1) return pick(NUMBERS);
    if (kind === 2) return pick(STRINGS);
    if (kind === 3) return rand() < 0.5;
    if (kind === 4) return [pick(STRINGS), pick(NUMBERS)];
    return { window: pick(NUMBERS), mode: pick(STRINGS) };
  };
  const strategy = (name: string): StrategyInput => {
    const parameters: Record<string, JsonValue> = { initial_capital: pick([1000000, 250000.5]) };
    if (rand() < 0.5) parameters.factors = ['DebtToEquity', pick(['PriceToEarnings', 'Momentum'])];
    if (rand() < 0.5) parameters.take_profit_pct = pick(NUMBERS);
    if (rand() < 0.3) parameters.universe = ['AAPL', 'MSFT'];
    const extras = Math.floor(rand() * 3);
    for (let i = 0; i < extras; i++) parameters[`extra_${i}`] = value();
    const grid: Record<string, JsonValue[]> = {};
    const axes = Math.floor(rand() * 4);
    const gridKeys = ['stop_loss_pct', 'rebalance_period', 'lookback', 'take_profit_pct', 'cooldown_period'];
    for (let i = 0; i < axes; i++) {
      grid[pick(gridKeys)] = Array.from({ length: 1 + Math.floor(rand() * 4) }, value);
    }
    return {
      name,
      strategy_class: pick(['LongShortEquityStrategy', 'strategies.momentum.Momentum']),
      parameters,
      param_grid: grid,
      infra: rand() < 0.5 ? { job_queue: 'research-queue', results_bucket: 'research-results' } : {},
    };
  };
  const specs: BacktestSpec[] = [
    buildSpec({
      dag_id: 'corpus_grid_2500',
      strategies: [
        {
          param_grid: {
            take_profit_pct: NUMBERS.concat(NUMBERS).concat(NUMBERS).concat(NUMBERS).concat([1, 2]),
            lookback: Array.from({ length: 50 }, (_, i) => i + 1),
          },
        },
      ],
    }),
    buildSpec({
      dag_id: 'corpus_multi_chunked',
      strategies: [
        { name: 'wide', param_grid: { lookback: Array.from({ length: 1100 }, (_, i) => i) } },
        { name: 'narrow', infra: { db_conn_id: 'research_db', job_definition: 'bt-def:3' } },
      ],
    }),
  ];
  for (let i = specs.length; i < count; i++) {
    const strategies =
      rand() < 0.3
        ? [strategy('alpha'), strategy('beta_1'), strategy('gamma-2')].slice(0, 2 + Math.floor(rand() * 2))
        : [strategy('main')];
    specs.push(
      buildSpec({
        dag_id: `corpus_${String(i).padStart(3, '0')}${rand() < 0.2 ? '.v2' : ''}`,
        description: rand() < 0.7 ? `Corpus backtest ${i}` : null,
        tags: ['backtest', `team-${i % 3}`],
        schedule: pick(SCHEDULES),
        owner: pick(['research', 'quant-team']),
        retries: Math.floor(rand() * 4),
        batch_attempts: 1 + Math.floor(rand() * 5),
        strategies,
        multi_strategy: strategies.length > 1,
      }),
    );
  }
  return specs;
}
