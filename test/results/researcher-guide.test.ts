import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../support/python.js';
import { runBacktestctl } from '../support/run-cli.js';

describe('docs/researcher-guide.md, results section', () => {
  it('shows exactly what `backtestctl results --from examples/results` prints', async () => {
    const guide = readFileSync(join(projectRoot, 'docs/researcher-guide.md'), 'utf8');
    const block = /```console\n\$ backtestctl results --from examples\/results\n([\s\S]*?)```/.exec(
      guide,
    )?.[1];
    const res = await runBacktestctl(['results', '--from', 'examples/results'], { cwd: projectRoot });
    expect(res.stdout).toBe(block);
    expect(res.code).toBe(1);
  });
});
