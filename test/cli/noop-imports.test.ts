import { execFileSync, spawnSync } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliArgs, compiled } from '../support/cli.js';
import { loadedModules, writeModuleRecorder } from '../support/module-recorder.js';

/**
 * A no-op `plan` / `apply` skips validation and rendering entirely: a real CLI process, with
 * a module loader hook that records every module it loads, loads neither the pipeline that
 * validates and renders (prepare-sync) nor the renderer once the stored digest matched, and
 * does load them when it did not (proof that the hook sees them).
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
/** The compiled product the tests spawn (test/support/cli-build.ts): module URLs start with it. */
const dist = pathToFileURL(compiled('src')).href;
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Researcher',
  GIT_AUTHOR_EMAIL: 'researcher@example.com',
  GIT_COMMITTER_NAME: 'Researcher',
  GIT_COMMITTER_EMAIL: 'researcher@example.com',
};
let dir = '';
let hook = '';
let repo = '';
let target = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'btg-noop-imports-'));
  hook = await writeModuleRecorder(dir);
  repo = join(dir, 'repo');
  target = join(dir, 'dags');
  await cp(join(root, 'examples'), repo, { recursive: true });
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '-A'],
    ['commit', '-q', '-m', 'configs'],
  ])
    execFileSync('git', args, { cwd: repo, env: gitEnv });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function run(args: string[]): { code: number | null; stdout: string; loaded: string[] } {
  const r = spawnSync(process.execPath, ['--import', hook, ...cliArgs(...args)], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: dir },
  });
  return { code: r.status, stdout: r.stdout, loaded: loadedModules(r.stderr) };
}

const renderWork = (urls: string[]) =>
  urls.filter((u) => [`${dist}/pipeline/prepare-sync.js`, `${dist}/render/render-repo.js`].includes(u));

describe('no-op imports', () => {
  it('the first apply loads validation and rendering; a no-op plan and apply load neither', () => {
    const first = run(['apply', '--repo', repo, '--target', target, '--yes']);
    expect(first.code, first.stdout).toBe(0);
    expect(renderWork(first.loaded).length).toBe(2);

    for (const command of ['plan', 'apply']) {
      const noop = run([
        command,
        '--repo',
        repo,
        '--target',
        target,
        ...(command === 'apply' ? ['--yes'] : []),
      ]);
      expect(noop.code, noop.stdout).toBe(0);
      expect(noop.stdout).toContain('no changes: the target was deployed from exactly these configs');
      expect(renderWork(noop.loaded), command).toEqual([]);
    }
  });
});
