import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktestctl } from '../support/run-cli.js';

/**
 * docs/researcher-guide.md as a researcher follows it: a repository from `backtestctl init`,
 * the guide's first config saved where its comment says, then every `backtestctl` line of
 * the guide's "before you push" block run as written, from a folder inside the repository
 * (the only change: /tmp/dags becomes a fresh temporary folder).
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';
let repo = '';
let guide = '';

/** The fenced blocks of one language, in order. */
function blocks(markdown: string, lang: string): string[] {
  return [...markdown.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\``, 'gm'))].map(
    (m) => m[1] ?? '',
  );
}

/** A shell line's words, without its comment (the guide's lines use no quoting). */
function words(line: string): string[] {
  return line
    .replace(/\s+#.*$/, '')
    .trim()
    .split(/\s+/);
}

beforeAll(async () => {
  guide = await readFile(join(root, 'docs/researcher-guide.md'), 'utf8');
  dir = await mkdtemp(join(tmpdir(), 'btg-guide-'));
  repo = join(dir, 'my-backtests');
  const init = await runBacktestctl(['init', 'my-backtests'], { cwd: dir, env: {} });
  expect(init.code, init.stderr).toBe(0);
  execFileSync('git', ['init', '-q'], { cwd: repo });
  const config = blocks(guide, 'yaml')[0] ?? '';
  const path = /^# (backtests\/\S+\.yaml)$/m.exec(config)?.[1];
  expect(path).toBe('backtests/momentum_grid.yaml');
  await writeFile(join(repo, path as string), config);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("the researcher's guide, run as written", () => {
  it('every backtestctl command of "before you push" works from inside the repository', async () => {
    const block = blocks(guide, 'sh').find((b) => b.includes('backtestctl validate')) ?? '';
    const lines = block.split('\n').filter((l) => l.startsWith('backtestctl '));
    expect(lines.length).toBeGreaterThanOrEqual(5);
    const out = join(dir, 'rendered');
    const results = new Map<string, Awaited<ReturnType<typeof runBacktestctl>>>();
    for (const line of lines) {
      const args = words(line)
        .slice(1)
        .map((w) => (w === '/tmp/dags' ? out : w));
      // From a sub-folder: the repository root is found upward.
      const r = await runBacktestctl(args, { cwd: join(repo, 'backtests'), env: {} });
      expect(r.code, `${line}\n${r.stderr}`).toBe(0);
      results.set(args[0] as string, r);
    }
    expect(results.get('validate')?.stdout).toBe('5 configs, 31 runs, 0 errors\n');
    expect(results.get('expand')?.stdout).toMatch(/9 runs/);
    expect(await readdir(out)).toContain('momentum_grid.py');
    expect(results.get('plan')?.stdout).toMatch(/create momentum_grid/);
    expect(results.get('apply')?.stdout).toMatch(/: 7 created, 0 updated/); // 5 DAGs + 2 support files
    // ./out/dags is relative to where the command ran, as a researcher would expect.
    expect(await readdir(join(repo, 'backtests/out/dags'))).toContain('momentum_grid.py');
  });

  it('the shell completion line works in bash', async () => {
    const block = blocks(guide, 'sh').find((b) => b.includes('completion bash')) ?? '';
    const line = block.split('\n').find((l) => l.includes('completion bash')) ?? '';
    const command = /<\((backtestctl [^)]*)\)/.exec(line)?.[1] ?? '';
    expect(command).toBe('backtestctl completion bash');
    const r = await runBacktestctl(words(command).slice(1), { env: {} });
    expect(r.code).toBe(0);
    const script = join(dir, 'completion.bash');
    await writeFile(script, r.stdout);
    const reply = execFileSync(
      'bash',
      [
        '--norc',
        '-c',
        `source ${script}; COMP_WORDS=(backtestctl val); COMP_CWORD=1; _backtestctl; echo "\${COMPREPLY[@]}"`,
      ],
      { encoding: 'utf8' },
    );
    expect(reply.trim()).toBe('validate');
  });
});
