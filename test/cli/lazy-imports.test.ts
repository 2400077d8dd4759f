import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliArgs, compiled } from '../support/cli.js';
import { loadedModules, writeModuleRecorder } from '../support/module-recorder.js';

/**
 * The cloud clients load only in the commands that use them: a real CLI process, with a
 * module loader hook that records every module it loads, must not load the AWS SDK,
 * Octokit, git (simple-git) or the controller for `--version`, `--help`, `validate`, `expand` or `render`
 * (`render` alone runs the local git, for each config's last commit),
 * and must load the S3 client for a plan against s3:// (proof that the hook sees them).
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
/** The compiled product the tests spawn (test/support/cli-build.ts): module URLs start with it. */
const dist = pathToFileURL(compiled('src')).href;
let dir = '';
let hook = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'btg-lazy-'));
  hook = await writeModuleRecorder(dir);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function loadedBy(args: string[], env: NodeJS.ProcessEnv = {}): string[] {
  const r = spawnSync(process.execPath, ['--import', hook, ...cliArgs(...args)], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
  });
  return loadedModules(r.stderr);
}

const cloud = (urls: string[]) =>
  urls.filter(
    (u) =>
      /node_modules\/(@aws-sdk|@octokit|@smithy|prom-client|pino|node-cron|simple-git)\//.test(u) ||
      u.startsWith(`${dist}/controller/`),
  );

describe('start-up imports', () => {
  it('--version loads no command at all', () => {
    const urls = loadedBy(['--version']);
    expect(urls.some((u) => u === `${dist}/shared/version.js`)).toBe(true);
    expect(urls.filter((u) => u.startsWith(`${dist}/cli/commands/`))).toEqual([]);
  });

  it('offline commands load no cloud client, metrics, logger or controller', () => {
    const out = join(dir, 'dags');
    for (const args of [
      ['--help'],
      ['validate', '--repo', 'examples'],
      ['expand', 'examples/backtests/mixed_grid.yaml'],
      ['render', '--repo', 'examples', '--out', out],
      ['completion', 'bash'],
    ]) {
      const urls = loadedBy(args);
      expect(urls.length, args.join(' ')).toBeGreaterThan(10);
      // `render` asks the local git for each config's last commit (BACKTEST_COMMIT), as apply does.
      const local = args[0] === 'render' ? urls.filter((u) => !u.includes('node_modules/simple-git/')) : urls;
      expect(cloud(local), args.join(' ')).toEqual([]);
    }
  });

  it('a plan against s3:// does load the S3 client (the hook sees lazy imports)', () => {
    const urls = loadedBy(['plan', '--repo', 'examples', '--target', 's3://bucket/dags'], {
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      AWS_MAX_ATTEMPTS: '1',
    });
    expect(urls.some((u) => u.includes('node_modules/@aws-sdk/client-s3/'))).toBe(true);
  });
});
