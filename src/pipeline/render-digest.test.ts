import { describe, expect, it } from 'vitest';
import { checkNoop, gitSourceDigest, renderDigest } from './render-digest.js';

const files = new Map([
  ['backtest-gitops.yaml', 'max_runs_per_dag: 100\n'],
  ['backtests/a.yaml', 'strategy_class: A\n'],
]);
const owner = { repo: 'github.com/o/r', path: '.', environment: null, target: 's3://b/dags' };

describe('renderDigest', () => {
  const base = renderDigest({ files, owner });

  it('depends on content, not on the order files were read in', () => {
    expect(renderDigest({ files: new Map([...files].reverse()), owner })).toBe(base);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with any config byte, the settings file, a path, the environment, the owner or a last commit', () => {
    const other = (f: Map<string, string>) => renderDigest({ files: f, owner });
    const variants = [
      other(new Map([...files, ['backtests/a.yaml', 'strategy_class: B\n']])),
      other(new Map([...files, ['backtest-gitops.yaml', 'max_runs_per_dag: 101\n']])),
      other(new Map([...files].map(([p, t]) => [p.replace('a.yaml', 'b.yaml'), t]))),
      other(new Map([...files, ['backtests/c.yaml', '']])),
      renderDigest({ files, owner, environment: 'staging' }),
      renderDigest({ files, owner: { ...owner, repo: 'github.com/o/other' } }),
      renderDigest({ files }),
      renderDigest({ files, owner, commits: new Map([['backtests/a.yaml', 'f'.repeat(40)]]) }),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  it('cannot be matched by moving bytes between a path and its content', () => {
    const a = renderDigest({ files: new Map([['x', 'yz']]) });
    const b = renderDigest({ files: new Map([['xy', 'z']]) });
    expect(a).not.toBe(b);
  });
});

describe('gitSourceDigest', () => {
  const git = { prefix: 'research/', tree: 'a'.repeat(40), lastChange: 'b'.repeat(40), shallow: [] };
  const base = gitSourceDigest({ git, owner });

  it('changes with the folder, its tree, its newest change, the shallow boundary, the environment or the owner', () => {
    const variants = [
      gitSourceDigest({ git: { ...git, prefix: '' }, owner }),
      gitSourceDigest({ git: { ...git, tree: 'c'.repeat(40) }, owner }),
      gitSourceDigest({ git: { ...git, lastChange: 'c'.repeat(40) }, owner }),
      gitSourceDigest({ git: { ...git, shallow: ['b'.repeat(40)] }, owner }),
      gitSourceDigest({ git, owner, environment: 'staging' }),
      gitSourceDigest({ git, owner: { ...owner, target: 's3://b/other' } }),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
    expect(gitSourceDigest({ git: { ...git }, owner })).toBe(base);
  });

  it('is never the digest of files, whatever they hold', () => {
    expect(base).not.toBe(renderDigest({ files: new Map(), owner }));
    expect(base).not.toBe(renderDigest({ files: new Map([[git.prefix, git.tree]]), owner }));
  });
});

describe('checkNoop', () => {
  const store = (digest: string | null, fail = false) => ({
    heads: 0,
    async headManifest() {
      this.heads++;
      if (fail) throw new Error('403');
      return { version: '"v"', digest };
    },
  });

  it('skips only on an equal digest, after one HEAD', async () => {
    const s = store('d');
    expect(await checkNoop(s, 'd', false)).toEqual({ skip: true, digest: 'd' });
    expect(await checkNoop(s, 'e', false)).toEqual({ skip: false, digest: { value: 'e', stored: 'd' } });
    expect(s.heads).toBe(2);
  });

  it('makes no request when asked to look further, and doubts a failed HEAD', async () => {
    const s = store('d');
    expect(await checkNoop(s, 'd', true)).toEqual({ skip: false, digest: { value: 'd' } });
    expect(s.heads).toBe(0);
    expect(await checkNoop(store('d', true), 'd', false)).toEqual({ skip: false, digest: { value: 'd' } });
    expect(await checkNoop({}, 'd', false)).toEqual({ skip: false, digest: { value: 'd' } });
  });
});
