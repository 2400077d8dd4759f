import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import type { GitRemoteFixture } from '../support/github-server/index.js';

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

/**
 * Commits many files on the default branch with one `git add` (the fixture's commit adds
 * file by file, which blocks the test worker for long with thousands of files). Returns the SHA.
 */
export function commitMany(
  remote: GitRemoteFixture,
  files: Record<string, string>,
  message = 'many configs',
): string {
  for (const [path, content] of Object.entries(files)) {
    const abs = join(remote.workDir, path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
  remote.git(['add', '--all']);
  remote.git(['commit', '--quiet', '-m', message]);
  return remote.git(['rev-parse', 'HEAD']);
}

/** POSTs a GitHub-signed webhook delivery on a connection of its own, as GitHub does. */
export async function sendWebhook(
  port: number,
  secret: string,
  event: string,
  payload: unknown,
  opts: { badSignature?: boolean } = {},
): Promise<{ status: number; body: string }> {
  const body = JSON.stringify(payload);
  const key = opts.badSignature ? 'wrong-secret-0123456789' : secret;
  const sig = createHmac('sha256', key).update(body).digest('hex');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/webhook',
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-github-event': event,
          'x-github-delivery': `d-${Math.random().toString(36).slice(2)}`,
          'x-hub-signature-256': `sha256=${sig}`,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
