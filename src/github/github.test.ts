import { describe, expect, it } from 'vitest';
import { GitHubApiError } from '../shared/errors.js';
import { webUrlFor } from './connect.js';
import {
  headMarker,
  isStickyComment,
  reportedHead,
  STICKY_MARKER,
  withStickyMarker,
} from './sticky-marker.js';
import { translateGitHubError } from './translate-error.js';

describe('sticky markers', () => {
  it('prefix the body once and carry the reported head', () => {
    const body = withStickyMarker(`${headMarker('a'.repeat(40))}\nhello`);
    expect(body.startsWith(STICKY_MARKER)).toBe(true);
    expect(withStickyMarker(body)).toBe(body);
    expect(isStickyComment(body)).toBe(true);
    expect(reportedHead(body)).toBe('a'.repeat(40));
    expect(reportedHead('no marker')).toBeNull();
  });
});

describe('translateGitHubError', () => {
  const err = (status: number, message: string) => Object.assign(new Error(message), { status });
  const ctx = { repo: 'quant/backtests', secrets: ['ghp_secretsecretsecretsecret01'] };

  it('says how to fix 401, 403 (naming the permission) and 404', () => {
    const e401 = translateGitHubError(err(401, 'Bad credentials'), 'list pull requests', ctx);
    expect(e401).toBeInstanceOf(GitHubApiError);
    expect(e401.status).toBe(401);
    expect(e401.hint).toMatch(/invalid or expired/);
    expect(
      translateGitHubError(err(403, 'Resource not accessible'), 'set status', {
        ...ctx,
        permission: 'statuses:write',
      }).hint,
    ).toMatch(/lacks the "statuses:write" permission on quant\/backtests/);
    expect(translateGitHubError(err(404, 'Not Found'), 'x', ctx).hint).toMatch(
      /repository quant\/backtests not found/,
    );
    expect(translateGitHubError(new Error('ECONNREFUSED'), 'x', ctx).hint).toMatch(/could not be reached/);
  });

  it('redacts secrets from the message', () => {
    const e = translateGitHubError(err(500, 'echo ghp_secretsecretsecretsecret01'), 'x', ctx);
    expect(e.message).not.toContain('ghp_secret');
  });
});

describe('webUrlFor', () => {
  it('maps API bases to web bases (github.com and Enterprise Server)', () => {
    expect(webUrlFor(undefined)).toBe('https://github.com');
    expect(webUrlFor('https://api.github.com')).toBe('https://github.com');
    expect(webUrlFor('https://ghe.example.com/api/v3')).toBe('https://ghe.example.com');
  });
});
