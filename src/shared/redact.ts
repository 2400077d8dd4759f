/**
 * Removes credentials from text before it reaches a log line, an error message or a PR
 * comment. Known secrets (the tokens we were configured with) are replaced wherever they
 * appear, also in the base64 form git's Basic auth header carries; well-known token shapes
 * and credentials embedded in URLs are masked even when we were not told about them.
 */
const MASK = '***';

const TOKEN_SHAPES: [RegExp, string][] = [
  [/\bgh[pousr]_[A-Za-z0-9]{16,}\b/g, MASK],
  [/\bgithub_pat_[A-Za-z0-9_]{20,}\b/g, MASK],
  [/\bv1\.[0-9a-f]{40}\b/g, MASK],
  // Authorization headers (git http.extraHeader, octokit request dumps).
  [/(authorization:?\s*["']?(?:basic|bearer|token)\s+)[^\s"',]+/gi, `$1${MASK}`],
  // Userinfo in URLs: https://user:secret@host -> https://***@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+(?::[^\s/@]*)?@/gi, `$1${MASK}@`],
];

/** Replaces every occurrence of the given secrets and of token-shaped strings with `***`. */
export function redact(text: string, secrets: readonly (string | undefined | null)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    for (const form of secretForms(secret)) out = out.split(form).join(MASK);
  }
  for (const [shape, replacement] of TOKEN_SHAPES) out = out.replace(shape, replacement);
  return out;
}

/** A redactor bound to a fixed list of secrets, for loggers and adapters. */
export function createRedactor(secrets: readonly (string | undefined | null)[]): (text: string) => string {
  const known = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  return (text) => redact(text, known);
}

/** Redacts the message (and stack) of an error in place and returns it, keeping its class. */
export function redactError<E>(err: E, secrets: readonly (string | undefined | null)[]): E {
  if (err instanceof Error) {
    err.message = redact(err.message, secrets);
    if (err.stack) err.stack = redact(err.stack, secrets);
  }
  return err;
}

function secretForms(secret: string): string[] {
  // git sends tokens as `Authorization: Basic base64(x-access-token:<token>)`.
  const basic = Buffer.from(`x-access-token:${secret}`).toString('base64');
  return [secret, basic, encodeURIComponent(secret)];
}
