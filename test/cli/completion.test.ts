import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { runBacktestctl } from '../support/run-cli.js';

/**
 * The generated completion scripts, driven by a real bash (and zsh where installed) as the
 * shell does it: COMP_WORDS / COMP_CWORD set, the completion function called, COMPREPLY read.
 */
let dir = '';
let bashScript = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'btg-completion-'));
  const r = await runBacktestctl(['completion', 'bash']);
  expect(r.code).toBe(0);
  bashScript = join(dir, 'backtestctl.bash');
  await writeFile(bashScript, r.stdout);
  await writeFile(join(dir, 'momentum.yaml'), 'x: 1\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function complete(line: string): string[] {
  const words = line.split(' ');
  const script = `source ${JSON.stringify(bashScript)}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_backtestctl; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = execFileSync('bash', ['--norc', '-c', script], { cwd: dir, encoding: 'utf8' });
  return out.split('\n').filter(Boolean).sort();
}

describe('backtestctl completion', () => {
  it('bash completes commands, sub-commands, options, --format choices and file names', () => {
    // Every command the program has (the script is generated from it), these among them.
    const program = buildProgram({ stdout() {}, stderr() {}, env: {}, cwd: dir }, { exitCode: 0 });
    expect(complete('backtestctl ')).toEqual(program.commands.map((c) => c.name()).sort());
    expect(complete('backtestctl ')).toEqual(
      expect.arrayContaining(['apply', 'completion', 'expand', 'mwaa', 'plan', 'pr', 'render', 'validate']),
    );
    expect(complete('backtestctl mw')).toEqual(['mwaa']);
    expect(complete('backtestctl mwaa variables ')).toEqual(['sync']);
    expect(complete('backtestctl plan --det')).toEqual(['--detailed-exitcode']);
    expect(complete('backtestctl apply --ye')).toEqual(['--yes']);
    expect(complete('backtestctl validate --format ')).toEqual(['json', 'text']);
    expect(complete('backtestctl completion ')).toEqual(['bash', 'zsh']);
    // A FILE argument and a path option complete file names; an option value is not a command.
    expect(complete('backtestctl expand mom')).toEqual(['momentum.yaml']);
    expect(complete('backtestctl validate --repo plan --for')).toEqual(['--format']);
    expect(complete('backtestctl plan --repo mo')).toEqual(['momentum.yaml']);
  });

  it('zsh output is the same completion behind bashcompinit, and zsh accepts it', () => {
    return runBacktestctl(['completion', 'zsh']).then((r) => {
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')[0]).toBe('#compdef backtestctl');
      expect(r.stdout).toContain('autoload -U +X bashcompinit && bashcompinit');
      expect(r.stdout).toContain('complete -o filenames -F _backtestctl backtestctl');
      let zsh = true;
      try {
        execFileSync('zsh', ['--version']);
      } catch {
        zsh = false;
      }
      if (zsh) execFileSync('zsh', ['-n', '-c', r.stdout]);
    });
  });

  it('an unknown shell is a usage error', async () => {
    const r = await runBacktestctl(['completion', 'fish']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "value 'fish' is invalid for argument 'shell'. Allowed choices are bash, zsh.",
    );
  });
});
