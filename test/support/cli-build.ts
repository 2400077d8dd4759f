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
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, version as esbuildVersion } from 'esbuild';

/**
 * The integration tests start `backtestctl` (and test/s3/fixtures/apply-child.ts) as child
 * processes hundreds of times. Through tsx a start costs ~0.65 CPU-s (it transpiles every
 * module it loads); compiled ~0.3 s. So the integration project's globalSetup
 * (test/support/global-setup.ts) transpiles the product once per run into
 * .cache/test-build/dist (dist/src/..., dist/test/s3/fixtures/...), then copies the assets
 * with scripts/copy-assets.mjs as `npm run build` does, and the tests spawn
 * `node <that>/src/cli/main.js` (`cliArgs()` in test/support/cli.ts; this file runs in the
 * globalSetup, where vitest's runtime API is not available).
 *
 * The transpiler is esbuild, file by file (no bundling: each .ts becomes a .js at the same
 * relative place, its imports unchanged, so the sources' NodeNext `./x.js` specifiers and
 * `import.meta.url`-relative lookups work as in `npm run build`'s output): ~0.3 CPU-s for the
 * whole tree where `tsc --noCheck` took ~6 at the start of every clean run, while the lint
 * phase's tsc runs too. Types are the lint phase's job, and a test run after an edit with a
 * type error still tests the edit. The options follow tsconfig.json (ES modules for Node,
 * its verbatimModuleSyntax and class-field semantics).
 *
 * The build always reflects the current sources: a hash over every file under src/ (tests
 * excluded), the fixtures, tsconfig.json, copy-assets.mjs, this file and the esbuild version
 * is stored with it; when it differs, everything is transpiled again (it is cheap) and the
 * outputs of deleted sources are removed. The layout mirrors the repository's (dist/ holds
 * src/ beside links to schema/ and templates/), since init.ts finds those two relative to its
 * own module.
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

/** Hash of everything the build reads from the repository, and of how it builds. */
function sourcesHash(root: string, sources: string[]): string {
  const h = createHash('sha256');
  h.update(`esbuild ${esbuildVersion}\0`);
  const files = [
    join(root, 'tsconfig.json'),
    join(root, 'scripts/copy-assets.mjs'),
    fileURLToPath(import.meta.url),
    ...sources,
  ];
  for (const f of files) {
    h.update(`${relative(root, f)}\0`);
    h.update(readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex');
}

/** Deletes the .js and .js.map files under `dir` that the build did not just write. */
function removeStale(dir: string, written: Set<string>): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) removeStale(p, written);
    else if (/\.js(\.map)?$/.test(e.name) && !written.has(p)) rmSync(p, { force: true });
  }
}

/** Builds the CLI into .cache/test-build/dist when the sources changed; returns that folder. */
export function buildTestCli(root: string): string {
  const base = join(root, '.cache/test-build');
  const dist = join(base, 'dist');
  const main = join(dist, 'src/cli/main.js');
  const stamp = join(base, 'sources.sha256');
  // Every file under src/ and the fixtures is hashed (the assets are copied too); the .ts ones
  // are transpiled.
  const sources = [
    ...sourceFiles(join(root, 'src')).sort(),
    ...sourceFiles(join(root, 'test/s3/fixtures')).sort(),
  ];
  const hash = sourcesHash(root, sources);
  if (existsSync(main) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return dist;
  rmSync(stamp, { force: true });
  rmSync(join(base, 'tsbuildinfo'), { force: true }); // left by the former tsc build
  mkdirSync(dist, { recursive: true });
  for (const link of ['schema', 'templates']) {
    if (!existsSync(join(dist, link))) symlinkSync(join('..', '..', '..', link), join(dist, link));
  }
  const entryPoints = sources.filter((f) => f.endsWith('.ts'));
  const result = buildSync({
    entryPoints,
    outbase: root,
    outdir: dist,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    tsconfig: join(root, 'tsconfig.json'),
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
    metafile: true,
    absWorkingDir: root,
  });
  const written = new Set(Object.keys(result.metafile.outputs).map((f) => resolve(root, f)));
  for (const dir of ['src', 'test']) removeStale(join(dist, dir), written);
  execFileSync(process.execPath, [join(root, 'scripts/copy-assets.mjs'), join(dist, 'src')], {
    cwd: root,
    stdio: 'inherit',
  });
  writeFileSync(stamp, hash);
  return dist;
}
