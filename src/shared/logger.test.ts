import { describe, expect, it } from 'vitest';
import { createLogger, redactLogText } from './logger.js';

function capture(secrets: string[] = []) {
  const lines: string[] = [];
  const log = createLogger({ secrets, destination: { write: (l: string) => lines.push(l) } });
  return { log, text: () => lines.join('') };
}

describe('logger redaction', () => {
  it('censors secret-named fields at any common depth', () => {
    const { log, text } = capture();
    log.info(
      { token: 'a1', github: { privateKey: 'k' }, req: { headers: { authorization: 'token abc' } } },
      'x',
    );
    const line = JSON.parse(text());
    expect(line.token).toBe('[REDACTED]');
    expect(line.github.privateKey).toBe('[REDACTED]');
    expect(line.req.headers.authorization).toBe('[REDACTED]');
  });

  it('censors configured secret values inside messages and error text, also JSON-escaped', () => {
    const secret = 'we"bhook-secret\nvalue';
    const { log, text } = capture([secret, 'plain-secret-123']);
    log.child({ reconcile: 'r1' }).error({ err: new Error(`bad ${secret}`) }, 'saw plain-secret-123');
    expect(text()).not.toContain('plain-secret-123');
    expect(text()).not.toContain('bhook-secret');
    expect(JSON.parse(text()).reconcile).toBe('r1');
  });

  it('censors token shapes, URL credentials, signatures and PEM keys it was not told about', () => {
    const input = [
      'ghp_0123456789abcdefghijABCDEFGHIJ',
      'https://x-access-token:s3cr3t@github.com/a/b.git',
      `sha256=${'ab'.repeat(32)}`,
      'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload',
      '-----BEGIN RSA PRIVATE KEY-----\\nMIIEow\\n-----END RSA PRIVATE KEY-----',
      'https://b.s3.amazonaws.com/k?X-Amz-Signature=deadbeef&x=1',
    ].join(' ');
    const out = redactLogText(input);
    for (const leaked of ['ghp_0123', 's3cr3t', 'abab', 'eyJhbGci', 'MIIEow', 'deadbeef'])
      expect(out).not.toContain(leaked);
  });

  it('keeps lines valid JSON after redaction', () => {
    const { log, text } = capture(['secret-value-1']);
    log.info(
      { url: 'https://u:secret-value-1@h/x', note: 'sha1=0123456789012345678901234567890123456789' },
      'm',
    );
    expect(() => JSON.parse(text())).not.toThrow();
  });
});
