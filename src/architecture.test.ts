import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layout rules of docs/architecture.md, checked over the import graph of src/ (production
 * files only; tests may reach anything). A rule broken here is a design change: move the code
 * to the right place rather than widening a list.
 */
const SRC = dirname(fileURLToPath(import.meta.url));

/** The adapters: the only files that may import each outside client library. */
const ADAPTERS: Record<string, readonly string[]> = {
  '@aws-sdk/client-s3': ['targets/s3-client.ts', 'targets/s3-dag-store.ts', 'results/s3-results-store.ts'],
  // MWAA's two calls are signed with the S3 client's own SigV4 stack (one SDK version line).
  '@aws-sdk/credential-provider-node': ['mwaa/mwaa-client.ts'],
  '@smithy/': ['mwaa/mwaa-client.ts'],
  '@octokit/': ['github/octokit-client.ts', 'github/webhook.ts'],
  'simple-git': ['git/git-runner.ts'],
  // Processes are started by the git adapter only (git itself).
  'node:child_process': ['git/git-runner.ts'],
};

/** Where the process's environment may be touched: parseEnv, and the CLI edge that hands it over. */
const ENV_READERS = ['shared/env.ts', 'cli/io.ts', 'cli/main.ts'];

interface SourceFile {
  path: string; // relative to src/, with forward slashes
  text: string;
  imports: string[]; // specifiers as written
}

function productionFiles(): SourceFile[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => {
      const text = readFileSync(join(SRC, f), 'utf8');
      const imports = [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1] as string);
      return { path: f.split('\\').join('/'), text, imports };
    });
}

const files = productionFiles();
const component = (path: string) => path.split('/')[0] as string;

/** src/-relative target of a relative import, or null for packages. */
function resolveImport(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  return relative(SRC, resolve(SRC, dirname(from), specifier))
    .split('\\')
    .join('/');
}

describe('architecture', () => {
  it('reads the source tree', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files.find((f) => f.path === 'git/git-runner.ts')?.imports).toContain('simple-git');
  });

  it('only adapter files import the AWS SDK, Octokit, simple-git and child_process', () => {
    const violations = files.flatMap((f) =>
      f.imports.flatMap((spec) =>
        Object.entries(ADAPTERS)
          .filter(([lib, allowed]) => spec.startsWith(lib) && !allowed.includes(f.path))
          .map(([lib]) => `${f.path} imports ${spec} (only ${ADAPTERS[lib]?.join(', ')} may)`),
      ),
    );
    expect(violations).toEqual([]);
  });

  it('only parseEnv (and the CLI edge handing it the process) reads process.env', () => {
    const violations = files
      .filter((f) => !ENV_READERS.includes(f.path) && /\bprocess\.env\b/.test(stripComments(f.text)))
      .map((f) => f.path);
    expect(violations).toEqual([]);
  });

  it('no variable is read by name outside parseEnv (the CLI entry only sets the SDK warning switch)', () => {
    const violations = files
      .filter((f) => !['shared/env.ts', 'cli/main.ts'].includes(f.path))
      .filter((f) => /\.env\.[A-Z][A-Z0-9_]+|\benv\[['"A-Z]/.test(stripComments(f.text)))
      .map((f) => f.path);
    expect(violations).toEqual([]);
  });

  it('below the CLI, code receives parsed options, never the raw environment', () => {
    const violations = files
      .filter((f) => component(f.path) !== 'cli' && !ENV_READERS.includes(f.path))
      .filter((f) => /NodeJS\.ProcessEnv/.test(stripComments(f.text)))
      .map((f) => f.path);
    expect(violations).toEqual([]);
  });

  it('production code never imports test code', () => {
    const violations = files.flatMap((f) =>
      f.imports
        .filter((spec) => {
          const target = resolveImport(f.path, spec);
          return target !== null && (target.startsWith('../') || /\.test\.(js|ts)$/.test(target));
        })
        .map((spec) => `${f.path} imports ${spec}`),
    );
    expect(violations).toEqual([]);
  });

  it('component folders form no cycle', () => {
    const edges = new Map<string, Set<string>>();
    for (const f of files) {
      for (const spec of f.imports) {
        const target = resolveImport(f.path, spec);
        if (target === null || target.startsWith('../') || !target.includes('/')) continue;
        const [a, b] = [component(f.path), component(target)];
        if (a !== b) edges.set(a, (edges.get(a) ?? new Set()).add(b));
      }
    }
    expect(findCycles(edges)).toEqual([]);
  });

  it('holds no module-level mutable state (only constants and memos of shipped files)', () => {
    const MEMOS = ['render/template-files.ts']; // reads our own packaged templates once
    const violations = files
      .filter((f) => !MEMOS.includes(f.path))
      .flatMap((f) =>
        stripComments(f.text)
          .split('\n')
          .filter((line) => /^(export )?let |^(export )?const \w+(: [^=]+)? = new (Weak)?Map\b/.test(line))
          .map((line) => `${f.path}: ${line.trim()}`),
      );
    expect(violations).toEqual([]);
  });
});

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** Every cycle in a small directed graph, each as `a -> b -> a`, found by depth-first search. */
function findCycles(edges: Map<string, Set<string>>): string[] {
  const cycles = new Set<string>();
  const visit = (node: string, path: string[]) => {
    for (const next of edges.get(node) ?? []) {
      const at = path.indexOf(next);
      if (at >= 0) {
        const loop = path.slice(at);
        const start = loop.indexOf([...loop].sort()[0] as string);
        const canonical = [...loop.slice(start), ...loop.slice(0, start)];
        cycles.add([...canonical, canonical[0]].join(' -> '));
      } else visit(next, [...path, next]);
    }
  };
  for (const node of edges.keys()) visit(node, [node]);
  return [...cycles].sort();
}
