import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../../activities/auth/retry-after.ts';
import { bearerAction, parseWwwAuthenticate } from '../../../activities/auth/www-authenticate.ts';

describe('parseRetryAfter (vector 12)', () => {
  it('reads delay-seconds as seconds', () => {
    expect(parseRetryAfter('17')).toBe(17_000);
  });

  it('reads an HTTP-date as the time left until then', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:27:30 GMT');
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now)).toBe(30_000);
  });

  it('floors an HTTP-date in the past at zero', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('2020-01-01T00:00:00Z'))).toBe(0);
  });

  it('returns undefined for garbage, blanks, negative and fractional numbers so callers use their default', () => {
    for (const garbage of ['soon', '', '   ', '-5', '1.5', '12abc', undefined, null]) {
      expect(parseRetryAfter(garbage)).toBeUndefined();
    }
  });
});

describe('parseWwwAuthenticate (vector 13)', () => {
  it('parses quoted Bearer parameters', () => {
    expect(parseWwwAuthenticate('Bearer realm="x", error="invalid_token", error_description="expired"')).toEqual({
      scheme: 'Bearer',
      params: { realm: 'x', error: 'invalid_token', error_description: 'expired' },
    });
  });

  it('asks to refresh and replay a 401 invalid_token', () => {
    expect(bearerAction(401, 'Bearer realm="x", error="invalid_token", error_description="expired"')).toBe('refresh-and-replay');
  });

  it('asks to refresh and replay a 401 without details', () => {
    expect(bearerAction(401, undefined)).toBe('refresh-and-replay');
    expect(bearerAction(401, 'Bearer realm="x"')).toBe('refresh-and-replay');
  });

  it('fails a 403 insufficient_scope and exposes the scope', () => {
    const header = 'Bearer error="insufficient_scope", scope="reservations:create"';
    expect(bearerAction(403, header)).toBe('insufficient-scope');
    expect(parseWwwAuthenticate(header)?.params.scope).toBe('reservations:create');
  });

  it('treats a 400 invalid_request as a plain failure', () => {
    expect(bearerAction(400, 'Bearer error="invalid_request"')).toBe('fail');
  });
});
