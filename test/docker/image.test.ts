import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtestConfig } from '../controller/fixtures.js';
import { createGitRemote, type GitRemoteFixture } from '../support/github-server/index.js';
import { projectRoot } from '../support/python.js';

/**
 * No Docker engine runs here, so this test does what the Dockerfile does, step by step:
 * the build stage (sources as .dockerignore lets them in, `npm run build`), the deps stage
 * (`npm ci --omit=dev` from the lock file in a clean folder), then runs the result as uid
 * 10001 with the application folder read-only and only the cache and /tmp-like folders
 * writable, as in the pod. hadolint lints the Dockerfile itself. Like `docker build`, it
 * reuses the build and deps stages' outputs while their inputs are unchanged (stageOutput).
 */
const dockerfile = readFileSync(`${projectRoot}Dockerfile`, 'utf8');
const UID = 10001;
let root: string;
let app: string;
let remote: GitRemoteFixture;

/** Runs a command as uid/gid 10001 with no supplementary groups (setpriv from util-linux). */
function asNonRoot(
  cmd: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const isRoot = process.getuid?.() === 0;
  const argv = isRoot ? ['setpriv', `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', ...cmd] : cmd;
  return new Promise((resolve) => {
    const child = spawn(argv[0] as string, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** The text of the Dockerfile stage `FROM ... AS <name>`, up to the next FROM. */
function stageText(name: string): string {
  const stage = dockerfile.split(/^(?=FROM )/m).find((s) => new RegExp(`^FROM \\S+ AS ${name}\n`).test(s));
  if (!stage) throw new Error(`the Dockerfile has no stage named ${name}`);
  return stage;
}

/** Files of the build context below `dir` (relative to the project), as .dockerignore lets them in. */
function contextFiles(dir: string): string[] {
  return readdirSync(join(projectRoot, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.endsWith('.test.ts'))
    .map((e) => relative(projectRoot, join(e.parentPath, e.name)))
    .sort();
}

/**
 * Docker's layer cache, for the two stages that cost CPU (the build stage's `npm run build`, a
 * full type-checking tsc, ~13 CPU-s; the deps stage's `npm ci`, ~5): a stage's output folder
 * is reused when its key (the stage's Dockerfile text, the bytes of every context file it
 * copies, the tool versions, this test's own source) equals that of the last run in which the
 * stage succeeded, as `docker build` reuses a layer whose instruction and inputs are
 * unchanged. Only a success is stored (after the stage's command exited 0), so any change to
 * the inputs runs the stage again, and a stage that would fail fails here. The slot is
 * .cache/image-layers/<stage>/ (key.sha256 beside out/), replaced atomically.
 */
async function stageOutput(
  stage: string,
  inputs: readonly (string | Buffer)[],
  dest: string,
  produce: () => Promise<void>,
): Promise<void> {
  const h = createHash('sha256');
  for (const part of [stageText(stage), readFileSync(testSource), process.version, ...inputs]) {
    h.update(part);
    h.update('\0');
  }
  const key = h.digest('hex');
  const slot = join(projectRoot, '.cache/image-layers', stage);
  const stamp = join(slot, 'key.sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === key) {
    copyTree(join(slot, 'out'), dest);
    return;
  }
  await produce();
  const tmp = `${slot}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  copyTree(dest, join(tmp, 'out'));
  writeFileSync(join(tmp, 'key.sha256'), key);
  rmSync(slot, { recursive: true, force: true });
  try {
    renameSync(tmp, slot);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // a concurrent run stored it first
  }
}

/**
 * Copies a folder as hard links where the file system allows (`cp -al`: the production
 * node_modules is ~7,600 files, whose byte copy cost more CPU than the rest of the file), else
 * byte by byte. The links share their mode with the cache's files, which the runtime stage's
 * `chmod -R a-w` makes read-only too; nothing writes to either.
 */
function copyTree(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  if (spawnSync('cp', ['-al', from, to], { stdio: 'ignore' }).status === 0) return;
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}

const testSource = fileURLToPath(import.meta.url);
/** The version of a package installed in the project (or of npm, beside node). */
const installedVersion = (pkgJson: string): string =>
  existsSync(pkgJson) ? (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string }).version : 'absent';

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'btg-image-'));
  chmodSync(root, 0o755);
  // Async, so the long steps do not block the test worker's event loop.
  const run = promisify(execFile);
  // ---- build stage: only what .dockerignore lets into the context ----
  const build = join(root, 'build');
  const buildInputs = [
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'scripts/copy-assets.mjs',
    ...contextFiles('src'),
  ];
  await stageOutput(
    'build',
    [
      installedVersion(join(projectRoot, 'node_modules/typescript/package.json')),
      ...buildInputs.flatMap((f) => [f, readFileSync(join(projectRoot, f))]),
    ],
    join(build, 'dist'),
    async () => {
      for (const f of buildInputs) {
        mkdirSync(dirname(join(build, f)), { recursive: true });
        cpSync(join(projectRoot, f), join(build, f));
      }
      // Dev dependencies are exactly the lock file's; reuse the project's install instead of a second `npm ci`.
      symlinkSync(join(projectRoot, 'node_modules'), join(build, 'node_modules'));
      await run('npm', ['run', 'build', '--silent'], { cwd: build });
    },
  );
  // ---- deps stage: production dependencies from the lock, in a clean folder ----
  app = join(root, 'app');
  mkdirSync(app);
  cpSync(join(projectRoot, 'package.json'), join(app, 'package.json'));
  cpSync(join(projectRoot, 'package-lock.json'), join(app, 'package-lock.json'));
  await stageOutput(
    'deps',
    [
      installedVersion(join(dirname(process.execPath), '../lib/node_modules/npm/package.json')),
      `${process.platform} ${process.arch}`,
      readFileSync(join(app, 'package.json')),
      readFileSync(join(app, 'package-lock.json')),
    ],
    join(app, 'node_modules'),
    async () => {
      await run(
        'npm',
        ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'],
        { cwd: app },
      );
    },
  );
  // ---- runtime stage: node_modules + dist + what the Dockerfile copies from the context, read-only ----
  cpSync(join(build, 'dist'), join(app, 'dist'), { recursive: true });
  const runtimeStage = dockerfile.split(/^FROM /m).at(-1) ?? '';
  for (const m of runtimeStage.matchAll(/^COPY (?!--from)(\S+) (\S+)$/gm)) {
    const [from, to] = [m[1] as string, m[2] as string];
    cpSync(join(projectRoot, from), join(app, to, to.endsWith('/') ? basename(from) : ''), {
      recursive: true,
    });
  }
  execFileSync('chmod', ['-R', 'a-w,a+rX', app]);
  remote = createGitRemote();
  remote.commit({ 'backtests/alpha.yaml': backtestConfig(1) });
  remote.push('main');
  // git refuses repositories owned by another user ("dubious ownership"): the remote is the controller's.
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', `${UID}:${UID}`, remote.root]);
}, 600_000);

afterAll(() => {
  remote?.cleanup();
  if (root) {
    execFileSync('chmod', ['-R', 'u+w', root]);
    execFileSync('rm', ['-rf', root]); // cheaper than rmSync over the ~7,600 node_modules files
  }
});

describe('container image (without a Docker engine)', () => {
  it('passes hadolint', () => {
    execFileSync('bash', [`${projectRoot}scripts/tools/hadolint.sh`, `${projectRoot}.cache/bin`], {
      stdio: 'pipe',
    });
    const r = spawnSync(`${projectRoot}.cache/bin/hadolint`, [`${projectRoot}Dockerfile`], {
      encoding: 'utf8',
    });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('is multi-stage, production-only, non-root, tini as PID 1, labelled, with a cache volume', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"/m);
    expect(dockerfile).toMatch(/apt-get install [^\n]*\bgit\b/);
    expect(dockerfile).toMatch(/^VOLUME \["\/var\/cache\/backtest-gitops"\]$/m);
    expect(dockerfile).toMatch(/HOME=\/var\/cache\/backtest-gitops/);
    for (const label of ['title', 'version', 'revision', 'licenses', 'source']) {
      expect(dockerfile).toContain(`org.opencontainers.image.${label}=`);
    }
    const ignore = readFileSync(`${projectRoot}.dockerignore`, 'utf8').split('\n');
    expect(ignore[ignore.findIndex((l) => !l.startsWith('#'))]).toBe('*'); // allow-list: nothing else gets in
  });

  it('installs production dependencies only', () => {
    expect(existsSync(join(app, 'node_modules', 'pino'))).toBe(true);
    for (const dev of ['vitest', 'typescript', '@biomejs', 'tsx', 'kubernetes-models']) {
      expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    }
  });

  it('ships no test code: no test files, no test doubles, nothing from test/', () => {
    const files = readdirSync(join(app, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.js'),
    );
    expect(files).toContain(join('cli', 'main.js'));
    expect(files.filter((f) => /\.test\.js$|(^|\/)test(ing)?(\/|\.js$)/.test(f))).toEqual([]);
    // The doubles of our own ports live in test/support; neither they nor an import of them ship.
    const leaks = files.filter((f) =>
      /\bInMemoryGitHub\b|\bManualClock\b|\bFakeDeployer\b|from '(\.\.\/)+test\//.test(
        readFileSync(join(app, 'dist', f), 'utf8'),
      ),
    );
    expect(leaks).toEqual([]);
  });

  it('runs --version and serve --help as uid 10001', async () => {
    const env = { PATH: process.env.PATH ?? '', HOME: '/nonexistent', NODE_ENV: 'production' };
    const version = await asNonRoot(['node', join(app, 'dist/cli/main.js'), '--version'], env);
    expect(version.stderr).toBe('');
    expect(version.stdout.trim()).toBe(
      JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).version,
    );
    const help = await asNonRoot(['node', join(app, 'dist/cli/main.js'), 'serve', '--help'], env);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--config <file>');
  });

  it('runs init as uid 10001: the starter repository and the editor schemas are in the image', async () => {
    const work = join(root, 'init-work');
    mkdirSync(work);
    chmodSync(work, 0o777);
    const env = { PATH: process.env.PATH ?? '', HOME: work, NODE_ENV: 'production' };
    const r = await asNonRoot(['node', join(app, 'dist/cli/main.js'), 'init', join(work, 'repo')], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(join(work, 'repo/.backtest-gitops/backtest.schema.json'), 'utf8')).toBe(
      readFileSync(join(projectRoot, 'schema/backtest.schema.json'), 'utf8'),
    );
    const validate = await asNonRoot(
      ['node', join(app, 'dist/cli/main.js'), 'validate', '--repo', join(work, 'repo')],
      env,
    );
    expect(validate.status, validate.stdout + validate.stderr).toBe(0);
  });

  it('serves and deploys as uid 10001 with only the cache and tmp folders writable', async () => {
    const cache = join(root, 'cache');
    const tmp = join(root, 'tmp');
    const out = join(cache, 'dags');
    for (const d of [cache, tmp]) {
      mkdirSync(d);
      chmodSync(d, 0o777);
    }
    const config = join(root, 'controller.yaml');
    writeFileSync(
      config,
      [
        `repo: { url: ${JSON.stringify(remote.bareDir)} }`,
        `target: ${out}`,
        'http: { port: 0, host: 127.0.0.1 }',
        'schedule: "0 0 1 1 *"',
      ].join('\n'),
    );
    chmodSync(config, 0o444);
    // As in the image: HOME and the cache dir on the volume, TMPDIR on an emptyDir.
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: cache,
      TMPDIR: tmp,
      BACKTEST_GITOPS_CACHE_DIR: cache,
      NODE_ENV: 'production',
      GIT_CONFIG_NOSYSTEM: '1',
    };
    const r = await asNonRoot(
      ['node', join(app, 'dist/cli/main.js'), 'serve', '--config', config, '--once'],
      env,
      120_000,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; result?: string });
    expect(lines.find((l) => l.msg === 'reconcile finished')?.result).toBe('success');
    expect(existsSync(join(out, 'alpha.py'))).toBe(true);
  });
});
