import { describe, expect, it } from 'vitest';
import { assertNoCredentialsInUrl, gitAuthEnv } from './git-auth.js';
import { isConfigPath, parseCatFileBatch, parseLsTree } from './read-blobs.js';

describe('gitAuthEnv', () => {
  it('passes a token as an http.<origin>/.extraHeader through GIT_CONFIG_* (not argv, not the URL)', () => {
    const env = gitAuthEnv('https://github.com/quant/backtests.git', { token: 'tok' });
    expect(env).toMatchObject({
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.https://github.com/.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from('x-access-token:tok').toString('base64')}`,
    });
  });

  it('uses GIT_SSH_COMMAND with the key for ssh remotes, quoting the path', () => {
    const env = gitAuthEnv('git@github.com:quant/backtests.git', { sshKeyPath: "/keys/it's key" });
    expect(env.GIT_SSH_COMMAND).toBe(`ssh -i '/keys/it'\\''s key' -o IdentitiesOnly=yes -o BatchMode=yes`);
    expect(env.GIT_CONFIG_COUNT).toBe('0');
  });

  it('refuses a token for a non-https remote and credentials inside URLs', () => {
    expect(() => gitAuthEnv('git@github.com:q/b.git', { token: 't' })).toThrow(/not an https/);
    expect(() => assertNoCredentialsInUrl('https://u:p@github.com/q/b.git')).toThrow(/contains credentials/);
    expect(() => assertNoCredentialsInUrl('https://github.com/q/b.git')).not.toThrow();
  });

  it('refuses a token as the bare username of an http(s) URL, but allows ssh users', () => {
    // https://TOKEN@host is how many CI snippets pass a token; git would store it in the
    // cache's config and show it in the process list (`git remote add origin URL`).
    expect(() =>
      assertNoCredentialsInUrl('https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/q/b.git'),
    ).toThrow(/contains credentials/);
    expect(() => assertNoCredentialsInUrl('http://tok@git.internal/q/b.git')).toThrow(/contains credentials/);
    expect(() => assertNoCredentialsInUrl('ssh://git@github.com/q/b.git')).not.toThrow();
    expect(() => assertNoCredentialsInUrl('git@github.com:q/b.git')).not.toThrow();
  });

  it('names the settings that really carry the token in its hint', () => {
    let hint = '';
    try {
      assertNoCredentialsInUrl('https://u:p@github.com/q/b.git');
    } catch (err) {
      hint = (err as { hint?: string }).hint ?? '';
    }
    // There is no GIT_TOKEN: git over https uses the GitHub credentials of the controller.
    expect(hint).not.toContain('GIT_TOKEN');
    expect(hint).toContain('GITHUB_TOKEN');
  });
});

describe('object parsing', () => {
  it('parses ls-tree -z and cat-file --batch output, including paths with spaces', () => {
    const entries = parseLsTree(
      '100644 blob aaaa     42\tbacktests/a b.yaml\u0000040000 tree bbbb       -\tbacktests\u0000',
    );
    expect(entries).toEqual([
      { mode: '100644', type: 'blob', object: 'aaaa', size: 42, path: 'backtests/a b.yaml' },
      { mode: '040000', type: 'tree', object: 'bbbb', size: null, path: 'backtests' },
    ]);
    const out = Buffer.from('aaaa blob 4\nx: 1\ncccc blob 0\n\n');
    expect(parseCatFileBatch(out, ['aaaa', 'cccc'])).toEqual(
      new Map([
        ['aaaa', 'x: 1'],
        ['cccc', ''],
      ]),
    );
    expect(() => parseCatFileBatch(Buffer.from('dddd missing\n'), ['dddd'])).toThrow(/missing/);
    expect(isConfigPath('a/b.YML')).toBe(true);
    expect(isConfigPath('a/b.json')).toBe(true); // read so that the loader can note it
    expect(isConfigPath('a/b.txt')).toBe(false);
  });
});
