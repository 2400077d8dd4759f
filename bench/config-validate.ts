/**
 * Prints how many configs per second loadConfigRepo validates, on 1,000 generated configs
 * (single runs, grids and multi-strategy DAGs, a few with errors). A figure, not a test:
 *   npx tsx bench/config-validate.ts
 */
import { performance } from 'node:perf_hooks';
import { expandRuns, loadConfigRepo } from '../src/config/index.js';

const CONFIGS = 1_000;
const ROUNDS = 5;

function generatedConfig(i: number): string {
  const lines = [
    '# yaml-language-server: $schema=../../schema/backtest.schema.json',
    `description: Generated backtest ${i}`,
    'tags: [bench, generated]',
    `strategy_class: Strategy${i % 7}`,
    `start_date: 20${10 + (i % 10)}-01-01`,
    `end_date: 20${10 + (i % 10)}-12-31`,
    `initial_capital: ${100_000 * (1 + (i % 5))}`,
    'factors: [DebtToEquity, PriceToEarnings, Momentum12M]',
    'universe: [AAPL, MSFT, GOOGL, AMZN, META]',
    `take_profit_pct: ${5 + (i % 10)}.5`,
    'stop_loss_pct: 5.0',
    'rebalance_period: 7',
    'params:',
    '  lookback_days: 90',
    '  benchmark: SPY',
  ];
  if (i % 3 === 0) {
    lines.push(
      'param_grid:',
      '  take_profit_pct: [5.0, 10.0, 15.0]',
      '  stop_loss_pct: [3.0, 5.0, 8.0]',
      '  lookback_days: [30, 60, 90, 120]',
    );
  }
  if (i % 5 === 0) {
    lines.push(
      'strategies:',
      '  - name: value',
      '    factors: [DebtToEquity]',
      '  - name: momentum',
      '    strategy_class: Momentum',
      '    param_grid:',
      '      rebalance_period: [1, 7, 30]',
    );
  }
  if (i % 50 === 0) lines.push('stop_los_pct: 4'); // an error now and then, as on real PRs
  return `${lines.join('\n')}\n`;
}

const files = new Map<string, string>();
for (let i = 0; i < CONFIGS; i += 1) files.set(`backtests/generated/config_${i}.yaml`, generatedConfig(i));
files.set('backtest-gitops.yaml', 'defaults:\n  owner: research\n  retries: 2\n');

loadConfigRepo(files); // warm-up (JIT, zod schema compilation)
let best = Number.POSITIVE_INFINITY;
let result = loadConfigRepo(files);
for (let round = 0; round < ROUNDS; round += 1) {
  const start = performance.now();
  result = loadConfigRepo(files);
  best = Math.min(best, performance.now() - start);
}

const runs = result.specs.reduce((n, s) => n + s.runs, 0);
const expandStart = performance.now();
let expanded = 0;
for (const spec of result.specs) expanded += expandRuns(spec).length;
const expandMs = performance.now() - expandStart;

console.log(
  `configs validated: ${CONFIGS} (${result.specs.length} valid, ${result.invalidFiles.length} invalid, ${result.issues.length} issues)`,
);
console.log(
  `best of ${ROUNDS}: ${best.toFixed(1)} ms for the repo -> ${Math.round((CONFIGS / best) * 1000).toLocaleString('en-US')} configs/s`,
);
console.log(`runs expanded: ${expanded} (= ${runs}) in ${expandMs.toFixed(1)} ms`);
