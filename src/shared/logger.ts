import { type DestinationStream, type Logger, pino } from 'pino';
import { redact } from './redact.js';

export type { Logger } from 'pino';

/**
 * JSON logs for the controller. Two layers keep secrets out of them:
 * 1. pino `redact` censors well-known fields (`token`, `authorization`, `privateKey`, ...)
 *    wherever a caller logs a structured object;
 * 2. every finished line goes through `redactLogText`, which removes the configured secret
 *    values and anything shaped like a token, a signature, a URL password or a PEM key,
 *    so secrets inside error messages and URLs are caught too.
 */
export interface LoggerOptions {
  level?: string;
  /** Secret values to censor verbatim. A Set is read live, so secrets learned later (installation tokens) can be added. */
  secrets?: Set<string> | string[];
  /** Where lines go; default stdout (synchronous, so nothing is lost at exit). */
  destination?: { write(line: string): unknown };
  /** Fields on every line (e.g. `{ component: 'controller' }`). */
  base?: Record<string, unknown>;
}

const CENSOR = '[REDACTED]';

const SECRET_KEYS = [
  'token',
  'githubToken',
  'password',
  'secret',
  'webhookSecret',
  'webhook_secret',
  'privateKey',
  'private_key',
  'authorization',
  'signature',
  '["x-hub-signature"]',
  '["x-hub-signature-256"]',
];

/** `key`, `*.key`, `*.*.key` and the same under `headers`, for each secret-looking key. */
export const REDACT_PATHS: string[] = SECRET_KEYS.flatMap((key) => {
  const dot = key.startsWith('[') ? '' : '.';
  return [key, `*${dot}${key}`, `*.*${dot}${key}`, `headers${dot}${key}`, `*.headers${dot}${key}`];
});

const PATTERNS: [RegExp, string][] = [
  // PEM private keys, also as JSON-escaped text with literal \n.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, CENSOR],
  // GitHub tokens (personal, OAuth, user-to-server, server-to-server, refresh, fine-grained).
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, CENSOR],
  // Credentials in URLs: https://x-access-token:TOKEN@github.com/...
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@"']+@/gi, `$1${CENSOR}@`],
  // Authorization header values.
  [/\b(Bearer|token|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${CENSOR}`],
  // Webhook HMAC signatures.
  [/\bsha(1|256)=[0-9a-f]{40,64}\b/gi, `sha$1=${CENSOR}`],
  // Presigned AWS URLs.
  [/(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"']+/gi, `$1${CENSOR}`],
];

/** Removes secret values and secret-shaped strings from one piece of text (a log line, a message). */
export function redactLogText(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  for (const secret of secrets) {
    // Too-short "secrets" would censor ordinary words; they are rejected by config validation anyway.
    if (secret.length < 6) continue;
    out = out.split(secret).join(CENSOR);
    // The same value as it appears inside a JSON string (escaped quotes, newlines).
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) out = out.split(escaped).join(CENSOR);
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  // The shared redactor also knows the encoded forms git and octokit put secrets in.
  return redact(out, [...secrets]);
}

/** A pino destination that censors each finished line before writing it. */
export function redactingDestination(
  target: { write(line: string): unknown },
  secrets: Iterable<string>,
): DestinationStream {
  return {
    write(line: string) {
      target.write(redactLogText(line, secrets));
    },
  };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = options.secrets instanceof Set ? options.secrets : new Set(options.secrets ?? []);
  const target = options.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? {},
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: CENSOR },
    },
    redactingDestination(target, secrets),
  );
}
