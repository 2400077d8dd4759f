import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktestctl } from '../../../test/support/run-cli.js';

const cli = (args: string[], cwd: string) => runBacktestctl(args, { cwd, env: {} });

const CONFIG = `strategy_class: S
start_date: 2022-01-01
end_date: 2022-12-31
take_profit_pct: 5.0
params:
  constructor: 1
  conf: {b: 1, 2: x, -0.0: y}
  offset: -0.0
param_grid:
  params.constructor: [1, 2.0]
`;

describe('backtestctl expand: prototype names and written values', () => {
  let repo: string;
  beforeAll(async () => {
    repo = await mkdtemp(join(tmpdir(), 'cli-expand-'));
    await mkdir(join(repo, 'backtests'));
    await writeFile(join(repo, 'backtests/x.yaml'), CONFIG);
    await writeFile(join(repo, 'backtest-gitops.yaml'), 'environments:\n  staging: {}\n');
  });
  afterAll(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  it('shows a parameter named constructor, with values as written', async () => {
    const r = await cli(['expand', 'backtests/x.yaml'], repo);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        'x (backtests/x.yaml): 2 runs',
        '',
        'strategy x: S, 2022-01-01 to 2022-12-31',
        '  same in every run: initial_capital=1000000 take_profit_pct=5.0 conf={"b":1,"2":"x","0":"y"} offset=-0.0',
        '  run  constructor',
        '    0  1',
        '    1  2.0',
        '',
      ].join('\n'),
    );
  });

  it('prints JSON with the values as the container gets them', async () => {
    const r = await cli(['expand', 'backtests/x.yaml', '--format', 'json'], repo);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      '"params":{"strategy_class":"S","start_date":"2022-01-01","end_date":"2022-12-31","initial_capital":1000000,"take_profit_pct":5.0,"constructor":2.0,"conf":{"b":1,"2":"x","0":"y"},"offset":-0.0}',
    );
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    '--environment %s is an unknown environment (exit 2), not a crash',
    async (name) => {
      for (const command of [['expand', 'backtests/x.yaml'], ['validate']]) {
        const r = await cli([...command, '--environment', name], repo);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`environment \`${name}\` is not defined in backtest-gitops.yaml`);
        expect(r.stderr).not.toMatch(/TypeError|at \w+ \(/);
      }
    },
  );
});
