import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The integration tests start `backtestctl` (and test/s3/fixtures/apply-child.ts) as child
 * processes hundreds of times. Through tsx a start costs ~0.65 CPU-s (it transpiles every
 * module it loads); compiled ~0.3 s. So the integration project's globalSetup
 * (test/support/global-setup.ts) compiles the product once per run, as `npm run build` does
 * (tsc over tsconfig.build.json's sources, here with the fixtures beside them:
 * test/tsconfig.cli-build.json; then scripts/copy-assets.mjs), into .cache/test-build/dist
 * (dist/src/..., dist/test/s3/fixtures/...), and the tests spawn `node <that>/src/cli/main.js` (`cliArgs()` in test/support/cli.ts; this file runs in the
 * globalSetup, where vitest's runtime API is not available).
 *
 * The build always reflects the current sources: a hash over every file under src/ (tests
 * excluded) and the tsconfig files is stored with it; when it differs, tsc runs incrementally
 * (its state kept next to the output), so a rebuild after an edit recompiles what changed.
 * tsc runs with --noCheck: types are the lint phase's job, and a test run after an edit with
 * a type error still tests the edit. The layout mirrors the repository's (dist/ holds src/
 * beside links to schema/ and templates/), since init.ts finds those two relative to its own
 * module.
 */
export const TEST_BUILD_KEY = 'testBuildDist';

declare module 'vitest' {
  export interface ProvidedContext {
    [TEST_BUILD_KEY]: string;
  }
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (!e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** Hash of everything the build reads from the repository. */
function sourcesHash(root: string): string {
  const h = createHash('sha256');
  const files = [
    join(root, 'tsconfig.json'),
    join(root, 'tsconfig.build.json'),
    join(root, 'test/tsconfig.cli-build.json'),
    join(root, 'scripts/copy-assets.mjs'),
    ...sourceFiles(join(root, 'src')).sort(),
    ...sourceFiles(join(root, 'test/s3/fixtures')).sort(),
  ];
  for (const f of files) {
    h.update(`${relative(root, f)}\0`);
    h.update(readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex');
}

/** Builds the CLI into .cache/test-build/dist when the sources changed; returns that folder. */
export function buildTestCli(root: string): string {
  const base = join(root, '.cache/test-build');
  const dist = join(base, 'dist');
  const main = join(dist, 'src/cli/main.js');
  const stamp = join(base, 'sources.sha256');
  const hash = sourcesHash(root);
  if (existsSync(main) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return dist;
  rmSync(stamp, { force: true });
  // Incremental tsc does not notice a deleted output: without main.js, start from scratch.
  if (!existsSync(main)) {
    rmSync(dist, { recursive: true, force: true });
    rmSync(join(base, 'tsbuildinfo'), { force: true });
  }
  mkdirSync(dist, { recursive: true });
  for (const link of ['schema', 'templates']) {
    if (!existsSync(join(dist, link))) symlinkSync(join('..', '..', '..', link), join(dist, link));
  }
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(root, 'test/tsconfig.cli-build.json'),
      '--outDir',
      dist,
      '--incremental',
      '--tsBuildInfoFile',
      join(base, 'tsbuildinfo'),
      '--noCheck',
    ],
    { cwd: root, stdio: 'inherit' },
  );
  execFileSync(process.execPath, [join(root, 'scripts/copy-assets.mjs'), join(dist, 'src')], {
    cwd: root,
    stdio: 'inherit',
  });
  writeFileSync(stamp, hash);
  return dist;
}
