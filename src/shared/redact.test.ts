import { describe, expect, it } from 'vitest';
import { createRedactor, redact, redactError } from './redact.js';

describe('redact', () => {
  const token = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';

  it('masks configured secrets in every form git and HTTP carry them', () => {
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    expect(redact(`header: ${basic} and ${token}`, [token])).toBe('header: *** and ***');
    expect(redact('plain custom-secret-value', ['custom-secret-value'])).toBe('plain ***');
  });

  it('masks token shapes, Authorization headers and URL userinfo without being told', () => {
    expect(redact(`token ${token}`)).toBe('token ***');
    expect(redact('Authorization: Bearer abc.def')).toBe('Authorization: Bearer ***');
    expect(redact('fatal: https://x-access-token:s3cret@github.com/o/r.git')).toBe(
      'fatal: https://***@github.com/o/r.git',
    );
  });

  it('keeps ordinary text and errors intact apart from secrets', () => {
    const redactor = createRedactor([undefined, 'abc', 'longsecret']);
    expect(redactor('abc longsecret')).toBe('abc ***');
    const err = redactError(new TypeError('failed with longsecret'), ['longsecret']);
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe('failed with ***');
  });
});
