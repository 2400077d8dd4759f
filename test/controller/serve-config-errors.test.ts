import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliArgs } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'btg-serve-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function serve(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, cliArgs('serve', ...args), {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('serve start-up errors', () => {
  it('lists every problem of an invalid controller config and exits 2 before serving', () => {
    const token = 'ghp_configErrorTestToken0123456789abcd';
    writeFileSync(
      join(dir, 'bad.yaml'),
      [
        'repo: { branch: main }',
        'target: ftp://x',
        'schedule: "61 * * * *"',
        'drift: fix',
        'github: { repository: acme }',
        'suspend: maybe',
      ].join('\n'),
    );
    const r = serve(['--config', 'bad.yaml'], {
      GITHUB_TOKEN: token,
      BACKTEST_GITOPS_WEBHOOK_SECRET: 'short',
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('  - '));
    expect(lines.join('\n')).toMatch(/repo\.url: is required/);
    for (const key of [
      'target:',
      'schedule:',
      'drift:',
      'github.repository:',
      'suspend:',
      'webhook secret',
    ]) {
      expect(r.stderr).toContain(key);
    }
    expect(lines.length).toBeGreaterThanOrEqual(7);
    expect(r.stderr).not.toContain(token);
  });

  it('explains a missing --config', () => {
    const r = serve([]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no controller config given');
    expect(r.stderr).toContain('--config');
  });
});
