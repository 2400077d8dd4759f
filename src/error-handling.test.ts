import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

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
const SRC = dirname(fileURLToPath(import.meta.url));
const MARKER = /catch-all: \S/;

interface Handler {
  where: string; // path:line
  text: string; // the handler as written
  allowed: boolean; // carries the catch-all marker
  ok: boolean; // rethrows or names the error
}

function productionFiles(): { path: string; text: string }[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => ({ path: f.split('\\').join('/'), text: readFileSync(join(SRC, f), 'utf8') }));
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

const handlers = productionFiles().flatMap((f) => handlersOf(f.path, f.text));

describe('error handling', () => {
  it('finds the handlers (catch clauses and promise .catch)', () => {
    expect(handlers.length).toBeGreaterThan(50);
  });

  it('every catch rethrows or names the error it expects, unless marked `catch-all: <reason>`', () => {
    const violations = handlers.filter((h) => !h.ok && !h.allowed).map((h) => `${h.where}: ${h.text}`);
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
