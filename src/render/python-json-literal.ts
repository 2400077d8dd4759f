/**
 * Turns a JSON value into text that can sit inside a Python raw triple-quoted string
 * `r'''...'''` and decode back with `json.loads` to exactly the same value.
 *
 * Why this is safe: the output is pure printable ASCII plus the newlines of the
 * pretty-printing, and contains no `'` at all (escaped as \u0027), so the literal can never
 * be terminated early, whatever a config string holds. Backslashes stay JSON escapes, which
 * a raw string passes through untouched. Non-ASCII characters (including U+2028, emoji as
 * surrogate pairs) become \uXXXX escapes, which `json.loads` decodes.
 */
export function toPythonJsonText(value: unknown): string {
  const json = JSON.stringify(value, null, 2);
  if (json === undefined) throw new TypeError('value is not JSON-serialisable');
  return json.replace(
    /[^\x20-\x26\x28-\x7e\n]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
