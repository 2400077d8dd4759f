import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../support/python.js';

/**
 * What the CLI reads at run time from beside its own code (`new URL('…', import.meta.url)`)
 * must ship: in the npm package (package.json "files"), in the Docker build context
 * (.dockerignore is an allow-list) and in the runtime stage of the image (a COPY line), or in
 * dist/ by the asset copier. A static check, so it runs without a Docker engine; the image
 * test runs `init` from the assembled image folder.
 */
const read = (path: string) => readFileSync(join(projectRoot, path), 'utf8');

/** Every package-relative path a production module reads through import.meta.url, as it resolves from dist/. */
function runtimeReads(): { from: string; path: string }[] {
  const src = join(projectRoot, 'src');
  return readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .flatMap((f) =>
      [...readFileSync(join(src, f), 'utf8').matchAll(/new URL\('([^']+)', import\.meta\.url\)/g)].map(
        (m) => {
          // Compiled, the module sits at the same place under dist/.
          const compiled = posix.join('dist', f.split('\\').join('/'));
          return {
            from: `src/${f}`,
            path: posix.normalize(posix.join(posix.dirname(compiled), m[1] as string)),
          };
        },
      ),
    );
}

/** The first segment of a package-relative path: `templates/config-repo/` → `templates`. */
const topLevel = (path: string) => path.split('/')[0] as string;

/** COPY lines of the last (runtime) stage that take from the build context, as their source paths. */
function runtimeContextCopies(dockerfile: string): string[] {
  const stages = dockerfile.split(/^FROM /m);
  const runtime = stages.at(-1) ?? '';
  return [...runtime.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) => {
    const words = (m[1] as string)
      .trim()
      .split(/\s+/)
      .filter((w) => !w.startsWith('--'));
    return words.slice(0, -1).map((w) => w.replace(/\/$/, ''));
  });
}

/** Top-level names .dockerignore lets into the build context (it excludes `*`, then re-includes). */
function dockerContext(ignore: string): string[] {
  return ignore
    .split('\n')
    .filter((line) => line.startsWith('!'))
    .map((line) => line.slice(1).replace(/\/$/, ''));
}

describe('what the CLI reads at run time ships with it', () => {
  const reads = runtimeReads();
  const outside = reads.filter((r) => topLevel(r.path) !== 'dist');
  const dockerfile = read('Dockerfile');

  it('finds the reads (the render templates, the starter repository and the editor schemas)', () => {
    expect(reads.map((r) => r.path).sort()).toEqual(
      ['dist/render/templates/', 'schema/', 'templates/config-repo/'].sort(),
    );
  });

  it('every folder beside dist/ is in package.json "files"', () => {
    const files = (JSON.parse(read('package.json')) as { files: string[] }).files;
    expect(outside.filter((r) => !files.includes(topLevel(r.path)))).toEqual([]);
  });

  it('every folder beside dist/ is in the Docker build context and copied into the runtime stage', () => {
    const context = dockerContext(read('.dockerignore'));
    const copied = runtimeContextCopies(dockerfile);
    expect(outside.filter((r) => !context.includes(topLevel(r.path)))).toEqual([]);
    expect(outside.filter((r) => !copied.includes(topLevel(r.path)))).toEqual([]);
  });

  it('every read inside dist/ that tsc does not emit is copied there by the asset copier', () => {
    const copier = read('scripts/copy-assets.mjs');
    const assets = reads
      .filter((r) => topLevel(r.path) === 'dist')
      .map((r) => posix.relative('dist', r.path));
    expect(assets.filter((a) => !copier.includes(`'${a}'`))).toEqual([]);
    // The asset copier runs in the image's build stage, which gets it into its context.
    expect(dockerfile).toMatch(/^COPY scripts\/copy-assets\.mjs /m);
    expect(dockerContext(read('.dockerignore'))).toContain('scripts/copy-assets.mjs');
  });
});
