import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { runBacktestctl } from '../support/run-cli.js';

/** Every command, sub-commands included, as the words a user types (`['mwaa', 'status']`). */
function allCommands(command: Command, path: string[] = []): { path: string[]; command: Command }[] {
  return command.commands.flatMap((sub) => [
    { path: [...path, sub.name()], command: sub },
    ...allCommands(sub, [...path, sub.name()]),
  ]);
}

const program = buildProgram({ stdout() {}, stderr() {}, env: {}, cwd: '.' }, { exitCode: 0 });

describe('backtestctl --help is consistent across commands', () => {
  it('every command has --help; descriptions are sentences, option help starts lowercase', async () => {
    for (const { path, command } of allCommands(program)) {
      const r = await runBacktestctl([...path, '--help']);
      expect(r.code, path.join(' ')).toBe(0);
      expect(r.stdout).toContain(`Usage: backtestctl ${path.join(' ')}`);
      expect(command.description(), path.join(' ')).toMatch(/^[A-Z].*[.!?]$/s);
      for (const option of command.options) {
        // Lowercase as commander's own "display help for command", unless it opens with an acronym.
        expect(option.description, `${path.join(' ')} ${option.flags}`).toMatch(
          /^([a-z$]|[A-Z0-9]{2,}|[a-z]+:\/\/)/,
        );
      }
    }
  });

  it('the top-level help names the exit codes, --detailed-exitcode and shell completion', async () => {
    const r = await runBacktestctl(['--help']);
    expect(r.stdout).toContain('Exit codes: 0 ok, 1 invalid configs or refused plan, 2 usage or I/O error');
    expect(r.stdout).toContain('plan --detailed-exitcode: 0 no changes, 2 changes, 1 any error');
    expect(r.stdout).toContain('source <(backtestctl completion bash)');
  });
});
