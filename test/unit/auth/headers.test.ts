import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate } from '../../../activities/auth/www-authenticate.ts';
import { parseRetryAfter } from '../../../workflows/failures.ts';

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

  it('parses unquoted parameters and exposes the scope of insufficient_scope', () => {
    const header = 'Bearer error=insufficient_scope, scope="reservations:create"';
    expect(parseWwwAuthenticate(header)?.params).toEqual({ error: 'insufficient_scope', scope: 'reservations:create' });
  });

  it('reads nothing from a blank or schemeless header', () => {
    for (const header of [undefined, null, '', '   ', '="x"']) expect(parseWwwAuthenticate(header)).toBeUndefined();
  });
});
