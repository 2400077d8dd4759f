import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript5';
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

/**
 * The error rule of docs/architecture.md: every `catch` (statement or promise `.catch(…)`) in
 * production code handles a named, expected error or rethrows. A handler passes when it
 * throws; names what it expects (`err.code`, `instanceof` a class narrower than Error, `err.name`, an `isX(err)`
 * predicate, or a try block that is one `JSON.parse`, whose only failure is a SyntaxError);
 * or hands the error on whole to a caller that checks it (`result.error = err`). Where
 * swallowing is the design (best-effort cleanup, a step whose failure is logged and the loop
 * goes on), the handler says so with a `catch-all: <reason>` comment on its line, the line
 * before it or inside it.
 */
const MARKER = /catch-all: \S/;

interface Handler {
  where: string; // path:line
  text: string; // the handler as written
  allowed: boolean; // carries the catch-all marker
  ok: boolean; // rethrows or names the error
}

/** Every catch clause, `.catch(handler)` and `.then(_, handler)` of a file, judged. */
function handlersOf(path: string, text: string): Handler[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const lines = text.split('\n');
  const out: Handler[] = [];
  const judge = (at: ts.Node, body: ts.Node, errorName: string | undefined) => {
    const line = file.getLineAndCharacterOfPosition(at.getStart(file)).line;
    const around = [lines[line - 1] ?? '', lines[line] ?? '', body.getFullText(file)].join('\n');
    out.push({
      where: `${path}:${line + 1}`,
      text: (lines[line] ?? '').trim(),
      allowed: MARKER.test(around),
      ok:
        throws(body) ||
        onlyParsesJson(at, file) ||
        (errorName !== undefined &&
          (namesError(body.getText(file), errorName) || handsOn(body.getText(file), errorName))),
    });
  };
  const visit = (node: ts.Node) => {
    if (ts.isCatchClause(node)) {
      const binding = node.variableDeclaration?.name;
      judge(node, node.block, binding && ts.isIdentifier(binding) ? binding.text : undefined);
    } else if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      ((node.expression.name.text === 'catch' && node.arguments.length === 1) ||
        (node.expression.name.text === 'then' && node.arguments.length === 2))
    ) {
      // `.then(onFulfilled, onRejected)`: the second handler is a catch too.
      const handler = node.arguments.at(-1) as ts.Expression;
      if (ts.isArrowFunction(handler) || ts.isFunctionExpression(handler)) {
        const param = handler.parameters[0]?.name;
        judge(node.expression.name, handler.body, param && ts.isIdentifier(param) ? param.text : undefined);
      } else {
        // A named function (`.catch(translate)`): judged where it is written.
        judge(node.expression.name, handler, undefined);
        out[out.length - 1] = { ...(out.at(-1) as Handler), ok: true };
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

/** A throw anywhere in the handler's own code (not in a function it merely defines). */
function throws(node: ts.Node): boolean {
  if (ts.isThrowStatement(node)) return true;
  if (ts.isFunctionLike(node) && !ts.isArrowFunction(node)) return false;
  return ts.forEachChild(node, throws) ?? false;
}

/** A catch clause whose try block is one `JSON.parse` of a string: SyntaxError is all it can catch. */
function onlyParsesJson(node: ts.Node, file: ts.SourceFile): boolean {
  if (!ts.isCatchClause(node) || !ts.isTryStatement(node.parent)) return false;
  const statements = node.parent.tryBlock.statements;
  return (
    statements.length === 1 &&
    /^(\w+ = |return |const \w+(: [\w<>, ]+)? = )?JSON\.parse\(\w+\)( as [^;]+)?;$/.test(
      (statements[0] as ts.Statement).getText(file),
    )
  );
}

/** The handler stores the error whole (`result.error = err`, `{ error: err }`) or rejects with it, for its caller to act on. */
function handsOn(body: string, name: string): boolean {
  return new RegExp(`[=:]\\s*${name}\\s*[,;}\\n]|^${name}$|\\breject\\(${name}\\)`).test(body.trim());
}

/** The handler looks at what it caught: its code or name, its class, or an `isX(err)` predicate. */
function namesError(body: string, name: string): boolean {
  const e = name.replace(/[$]/g, '\\$');
  return new RegExp(
    `\\b${e}( as [\\w.]+)?\\)?\\??\\.(code|name)\\b|\\b${e}\\b[^;\\n]*\\binstanceof (?!Error\\b)|\\bis[A-Z]\\w*\\(${e}\\b|\\bcode\\b[^;\\n]*=\\s*\\(?${e}\\b`,
  ).test(body);
}

const handlers = files.flatMap((f) => handlersOf(f.path, f.text));

describe('error handling', () => {
  it('finds the handlers (catch clauses and promise .catch)', () => {
    expect(handlers.length).toBeGreaterThan(50);
  });

  it('every catch rethrows or names the error it expects, unless marked `catch-all: <reason>`', () => {
    const violations = handlers
      .filter((h) => !h.ok && !h.allowed)
      .map(
        (h) =>
          `${h.where}: ${h.text}  <- handle the error you expect (by code or class) and rethrow the rest, or say why it may swallow: // catch-all: <reason>`,
      );
    expect(violations).toEqual([]);
  });

  it('the check itself: flags bare catch-alls, passes named and rethrowing ones and marked ones', () => {
    const judged = (code: string) => handlersOf('x.ts', code).map((h) => h.ok || h.allowed);
    expect(judged('try { a(); } catch {}')).toEqual([false]);
    expect(judged('try { a(); } catch (e) {}')).toEqual([false]);
    expect(judged('p.catch(() => undefined);')).toEqual([false]);
    expect(judged('p.catch((err) => log(err));')).toEqual([false]);
    expect(judged('p.catch((err: E) => { if (err.code === "ENOENT") return null; throw err; });')).toEqual([
      true,
    ]);
    expect(judged('try { a(); } catch (err) { if (isNotFound(err)) return; throw err; }')).toEqual([true]);
    expect(judged('try { a(); } catch (e) { if (!(e instanceof SyntaxError)) throw e; }')).toEqual([true]);
    // Any Error is not a named one.
    expect(judged('try { a(); } catch (e) { log(e instanceof Error ? e.message : String(e)); }')).toEqual([
      false,
    ]);
    expect(judged('try { a(); } catch (err) { throw new UsageError("x", { cause: err }); }')).toEqual([true]);
    expect(judged('p.catch(translate);')).toEqual([true]);
    expect(judged('p.then((v) => v, () => null);')).toEqual([false]);
    expect(judged('p.then((v) => v, (err) => { reset(); throw err; });')).toEqual([true]);
    expect(
      judged('try { a(); } catch (err) { if ((err as NodeJS.ErrnoException).code === "ENOENT") return; }'),
    ).toEqual([true]);
    expect(judged('try { v = JSON.parse(text) as T; } catch { v = null; }')).toEqual([true]);
    expect(judged('try { v = JSON.parse(text); use(v.x); } catch { v = null; }')).toEqual([false]);
    expect(judged('try { a(); } catch (err) { result.error = err; }')).toEqual([true]);
    expect(judged('p.catch((err) => { failed = err; return null; });')).toEqual([true]);
    expect(judged('// catch-all: best-effort cleanup\np.catch(() => undefined);')).toEqual([true]);
    expect(judged('p.catch(() => undefined); // catch-all: nothing to do')).toEqual([true]);
    expect(judged('p.catch(() => undefined); // catch-all:')).toEqual([false]); // a reason is required
  });
});
