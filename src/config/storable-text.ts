/**
 * Text that Airflow stores in its metadata database must be storable there. MWAA's database
 * is PostgreSQL, whose text type cannot hold U+0000 ("A string literal cannot contain NUL
 * characters") and whose UTF-8 encoding has no lone surrogate halves (Python refuses to
 * encode them). A DAG holding either imports in a DagBag but is never saved, so it never
 * appears in Airflow (test/airflow/postgres-metadata.test.ts shows it on PostgreSQL). A
 * process environment cannot hold a NUL either. Every string of a config (and so every
 * description, tag, owner, parameter and environment value a DAG can carry) is checked.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what this looks for
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Null when `text` is storable, else what is wrong with it, in words. */
export function storableTextProblem(text: string): string | null {
  const match = UNSTORABLE.exec(text);
  if (match === null) return null;
  return match[0] === '\u0000'
    ? 'a NUL character (\\0)'
    : `a lone surrogate (\\u${(match[0].codePointAt(0) ?? 0).toString(16).toUpperCase()})`;
}
