import { createHmac } from 'node:crypto';

/** A valid backtest config; `i` makes the content (and so the rendered DAG) distinct. */
export function backtestConfig(i: number, period = 5): string {
  return [
    'strategy_class: strategies.momentum.Momentum',
    'start_date: "2020-01-01"',
    'end_date: "2021-01-01"',
    `initial_capital: ${1_000_000 + i}`,
    `rebalance_period: ${period}`,
    'param_grid:',
    '  stop_loss_pct: [0.05, 0.1]',
    '',
  ].join('\n');
}

/** `count` config files under backtests/. */
export function manyConfigs(count: number, period = 5): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++)
    files[`backtests/bt_${String(i).padStart(4, '0')}.yaml`] = backtestConfig(i, period);
  return files;
}

/** POSTs a GitHub-signed webhook delivery. */
export async function sendWebhook(
  port: number,
  secret: string,
  event: string,
  payload: unknown,
  opts: { badSignature?: boolean } = {},
): Promise<Response> {
  const body = JSON.stringify(payload);
  const sig = createHmac('sha256', opts.badSignature ? 'wrong-secret-0123456789' : secret)
    .update(body)
    .digest('hex');
  return fetch(`http://127.0.0.1:${port}/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': `d-${Math.random().toString(36).slice(2)}`,
      'x-hub-signature-256': `sha256=${sig}`,
    },
    body,
  });
}
