import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { projectRoot } from '../support/python.js';
import { runBacktestctl } from '../support/run-cli.js';

/**
 * Every command, fed input a user can get wrong: each answer is a message (and a hint) with
 * a non-zero exit code, never "internal error ... this is a bug" with a stack trace. A new
 * command fails the first test until it has cases here.
 */
const root = mkdtempSync(join(tmpdir(), 'btg-bad-input-'));
const repo = join(root, 'repo'); // a valid config repository, also a git work tree
const missing = join(root, 'does-not-exist');
const aFile = join(root, 'plain-file.txt');
const notGit = join(root, 'not-git');
const brokenRepo = join(root, 'broken-repo');
const out = join(root, 'out');
// A symlink to itself: stat fails with ELOOP, an error that is not "absent" (root ignores permissions).
const loop = join(root, 'loop');
const loopInDir = join(root, 'loop-in-dir'); // holds backtest-gitops.yaml as such a loop
const sweep = join(root, 'sweep'); // a results folder with one unreadable metrics.json
cpSync(join(projectRoot, 'examples'), repo, { recursive: true });
writeFileSync(aFile, 'just text\n');
mkdirSync(notGit);
mkdirSync(join(brokenRepo, 'backtests'), { recursive: true });
writeFileSync(join(brokenRepo, 'backtests', 'bad.yaml'), 'strategy_class: [unclosed\n\u0000\u0001');
writeFileSync(join(root, 'binary.yaml'), Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x02]));
writeFileSync(join(root, 'controller.yaml'), 'repo: {url: 3}\ntarget: [\n');
symlinkSync(loop, loop);
mkdirSync(loopInDir);
symlinkSync(join(loopInDir, 'backtest-gitops.yaml'), join(loopInDir, 'backtest-gitops.yaml'));
mkdirSync(join(sweep, 'backtests/d1/r1/s1/run-00000'), { recursive: true });
writeFileSync(join(sweep, 'backtests/d1/r1/s1/run-00000/metrics.json'), '{"metrics": ');
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
git('init', '-q', '-b', 'main');
git('add', '.');
git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'configs');

// No AWS region, credentials or GitHub token; MWAA and S3 endpoints on a closed port, so
// nothing here can reach a real service.
const env = {
  PATH: process.env.PATH ?? '',
  HOME: root,
  BACKTEST_GITOPS_MWAA_ENDPOINT: 'http://127.0.0.1:9',
  AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9',
  AWS_MAX_ATTEMPTS: '1',
};

const CASES: Record<string, string[][]> = {
  init: [[aFile], [repo], [loopInDir], [loop, '--force']],
  validate: [
    ['--repo', missing],
    ['--repo', aFile],
    ['--repo', repo, '--format', 'xml'],
    ['--repo', repo, 'backtests/none.yaml'],
    ['--repo', repo, '--environment', 'no-such-environment'],
    ['--repo', brokenRepo],
    ['--repo', loop],
    [loop],
  ],
  expand: [
    [join(root, 'none.yaml')],
    [root],
    [join(root, 'binary.yaml')],
    [aFile, '--format', 'xml'],
    [loop],
    [join(repo, 'backtests/grid_search.yaml'), '--environment', 'no-such-environment'],
  ],
  schema: [['--bogus'], ['--settings', '--metrics'], ['extra']],
  render: [
    ['--repo', missing, '--out', out],
    ['--repo', repo, '--out', aFile],
  ],
  plan: [
    ['--repo', repo, '--target', 'gs://bucket/prefix'],
    ['--repo', repo, '--target', 's3:///no-bucket'],
    ['--repo', repo, '--target', 'file://out/dags'],
    ['--repo', repo, '--target', out, '--max-delete-share', 'lots'],
    ['--repo', missing, '--target', out],
    ['--repo', repo, '--target', aFile],
    ['--repo', repo, '--target', 'mwaa://not a name'],
    ['--repo', repo, '--target', 'mwaa://prod'],
    ['--repo', repo, '--target', out, '--environment', 'no-such-environment'],
    ['--repo', loop, '--target', out],
  ],
  apply: [
    ['--repo', repo, '--target', out, '--concurrency', 'many', '--yes'],
    ['--repo', repo, '--target', out, '--wait-seconds', 'soon', '--yes'],
    ['--repo', repo, '--target', aFile, '--yes'],
    ['--repo', repo, '--target', 'mwaa://not a name', '--yes'],
    ['--repo', repo, '--target', out, '--environment', 'no-such-environment', '--yes'],
  ],
  'mwaa status': [['--environment', 'not a name'], ['--environment', 'prod'], []],
  'mwaa variables sync': [
    ['--environment', 'not a name'],
    ['--environment', 'prod', '--repo', missing],
    ['--environment', 'prod', '--repo', loop],
  ],
  results: [
    ['some_dag', '--from', missing],
    ['some_dag', '--from', aFile],
    ['some_dag', '--from', root, '--trials', 'many'],
    [],
    ['--environment', 'prod'],
    ['--from', loop],
    ['--from', sweep],
    ['--from', sweep, '--objective', 'not a metric'],
    ['--from', sweep, '--trials', '0'],
    ['--from', sweep, '--format', 'xml'],
    ['some_dag', '--environment', 'prod', '--repo', repo],
  ],
  'pr check': [
    [],
    ['--base', 'main', '--head', 'HEAD', '--repo', notGit],
    ['--base', 'no-such-ref', '--head', 'HEAD', '--repo', repo],
    ['--base', 'main', '--head', 'HEAD', '--repo', repo, '--github-output'],
    ['--base', 'main', '--head', 'HEAD', '--repo', repo, '--link-base', 'not a url'],
    ['--base', 'main', '--head', 'HEAD', '--repo', repo, '--format', 'xml'],
  ],
  serve: [
    ['--config', missing],
    ['--config', join(root, 'controller.yaml')],
    [],
    ['--config', root],
    ['--config', loop],
  ],
  completion: [['fish'], [], ['bash', 'extra']],
};

/** Every leaf command of the program, as `parent child`. */
function leafCommands(): string[] {
  const io = { stdout: () => {}, stderr: () => {}, env: {}, cwd: root };
  const leaves: string[] = [];
  const walk = (c: Command, path: string[]) => {
    if (c.commands.length === 0 && path.length > 0) leaves.push(path.join(' '));
    for (const sub of c.commands) walk(sub, [...path, sub.name()]);
  };
  walk(buildProgram(io, { exitCode: 0 }), []);
  return leaves.sort();
}

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('bad input never reaches "internal error"', () => {
  it('has cases for every command', () => {
    expect(leafCommands()).toEqual(Object.keys(CASES).sort());
  });

  it('a mistyped --environment stops apply before anything is written (exit 2), as it stops validate', async () => {
    const target = join(root, 'never-written');
    const r = await runBacktestctl(
      ['apply', '--repo', repo, '--target', target, '--environment', 'no-such-environment', '--yes'],
      { cwd: root, env },
    );
    expect(r.stderr).toContain('environment `no-such-environment` is not defined in backtest-gitops.yaml');
    expect(r.code).toBe(2);
    expect(existsSync(target)).toBe(false);
  });

  const runs = Object.entries(CASES).flatMap(([command, cases]) =>
    cases.map((args) => [`${command} ${args.join(' ')}`.replaceAll(root, '…'), command, args] as const),
  );
  it.each(runs)('%s', async (_name, command, args) => {
    const r = await runBacktestctl([...command.split(' '), ...args], { cwd: root, env });
    expect(r.stderr).not.toMatch(/internal error|bug in backtestctl/);
    expect(r.code, r.stderr).not.toBe(0);
    expect((r.stderr + r.stdout).trim()).not.toBe(''); // says what is wrong (validate: on stdout)
  });
});
