import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/mwaa/cli-command.js';
import { isAllowListed, splitCommandLine } from '../support/mwaa-fake/allow-list.js';

// The fake must split command lines like MWAA's shell-style parser, or the quoting of our
// client would be tested against the wrong thing.
describe('MWAA fake: command line and allow-list', () => {
  it('splits what the client quotes back into the original arguments', () => {
    const args = ['variables', 'set', 'k', 'it\'s a $(test) `x` "quoted" value', '', 'a\\b'];
    expect(splitCommandLine(commandLine(args))).toEqual(args);
  });

  it('accepts MWAA allow-listed commands and refuses the rest', () => {
    expect(isAllowListed(['dags', 'list', '-o', 'json'])).toBe(true);
    expect(isAllowListed(['dags', 'unpause', '--treat-dag-id-as-regex', '-y', '^(a)$'])).toBe(true);
    expect(isAllowListed(['variables', 'set', 'k', 'v'])).toBe(true);
    expect(isAllowListed(['version'])).toBe(true);
    expect(isAllowListed(['users', 'create'])).toBe(false);
    expect(isAllowListed(['db', 'reset'])).toBe(false);
    expect(isAllowListed(['config', 'get-value', 'core', 'fernet_key'])).toBe(false);
    expect(isAllowListed(['dags'])).toBe(false);
    expect(isAllowListed([])).toBe(false);
  });
});
