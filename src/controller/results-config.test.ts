import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../shared/logger.js';
import { parseControllerConfig } from './load-controller-config.js';

const FILE = '/etc/backtest-gitops/controller.yaml';
const HOOK = 'https://hooks.slack.example/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX';
const BASE = 'repo: { url: ../configs }\ntarget: ./dags\n';

describe('results: in the controller config', () => {
  it('defaults to following, with a budget per loop', () => {
    const config = parseControllerConfig(BASE, { file: FILE, env: {} });
    expect(config.results).toEqual({
      follow: true,
      max_requests_per_loop: 20,
      max_reads_per_loop: 1000,
      follow_hours: 72,
    });
  });

  it('treats the webhook URL as a secret: redacted from logs; the environment overrides the file', () => {
    const config = parseControllerConfig(`${BASE}results: { webhook_url: ${JSON.stringify(HOOK)} }\n`, {
      file: FILE,
      env: {},
    });
    expect(config.results.webhook_url).toBe(HOOK);
    expect(config.secrets).toContain(HOOK);
    const lines: string[] = [];
    const log = createLogger({
      secrets: config.secrets,
      destination: new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    log.warn({ url: HOOK }, `posting to ${HOOK} failed`);
    expect(lines.join('')).not.toContain('XXXXXXXXXXXXXXXXXXXXXXXX');
    const fromEnv = parseControllerConfig(`${BASE}results: { webhook_url: ${JSON.stringify(HOOK)} }\n`, {
      file: FILE,
      env: { resultsWebhookUrl: 'https://hooks.example/other' },
    });
    expect(fromEnv.results.webhook_url).toBe('https://hooks.example/other');
    expect(fromEnv.secrets).toContain('https://hooks.example/other');
  });
});
