import { describe, expect, it } from 'vitest';
import { MwaaError } from '../shared/errors.js';
import { commandLine, exactDagIdRegex, quoteArg } from './cli-command.js';

describe('quoteArg', () => {
  it('leaves plain words alone', () => {
    expect(quoteArg('list-import-errors')).toBe('list-import-errors');
    expect(quoteArg('momentum_grid.v2')).toBe('momentum_grid.v2');
  });

  it('quotes spaces, shell metacharacters and quotes', () => {
    expect(quoteArg('a b')).toBe("'a b'");
    expect(quoteArg('$(rm -rf /)')).toBe("'$(rm -rf /)'");
    expect(quoteArg("it's")).toBe("'it'\\''s'");
    expect(quoteArg('')).toBe("''");
  });

  it('joins a command line', () => {
    expect(commandLine(['variables', 'set', 'batch_job_queue', 'q 1'])).toBe(
      "variables set batch_job_queue 'q 1'",
    );
  });
});

describe('exactDagIdRegex', () => {
  it('anchors and escapes dots', () => {
    expect(exactDagIdRegex(['a.b', 'c'])).toBe('^(a\\.b|c)$');
  });

  it('refuses ids Airflow would not accept', () => {
    expect(() => exactDagIdRegex(['a|b'])).toThrow(/not a valid DAG id/);
    // A typed error: the CLI prints it with its hint, never as "internal error".
    expect(() => exactDagIdRegex(['a b'])).toThrow(MwaaError);
  });
});
