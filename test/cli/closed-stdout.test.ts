import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cliArgs } from '../support/cli.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

/** Runs the real CLI with its stdout pipe closed by the reader before anything is written. */
function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, cliArgs(...args), {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.destroy(); // like `backtestctl ... | head -0`
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('a reader that closed stdout (`backtestctl ... | head`)', () => {
  it('neither crashes the CLI with EPIPE nor stops an apply halfway', async () => {
    dir = await mkdtemp(join(tmpdir(), 'btg-closed-stdout-'));
    const target = join(dir, 'dags');
    const r = await runWithClosedStdout([
      'apply',
      '--repo',
      join(root, 'examples'),
      '--target',
      target,
      '--yes',
    ]);
    expect(r.stderr).not.toContain('EPIPE');
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(join(target, '.backtest-gitops/manifest.json'), 'utf8'));
    expect(manifest.entries.length).toBeGreaterThan(2);
    expect(manifest.pending).toBeUndefined();
  }, 60_000);
});
