import { describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import {
  describeStaticToken,
  insideWeeklyResetWindow,
  methodTriedByServer,
  tokenRejectionOf,
} from '../../../client/doctor.ts';
import { resolveTarget } from '../../../client/avinode-cli.ts';
import { tripRequestFromFlags, UsageError, type TripFlags } from '../../../client/trip-flags.ts';
import { loadConfig } from '../../../platform/config.ts';

describe('doctor helpers', () => {
  it('knows the weekly reset window is Mondays 06:00–08:00 UTC', () => {
    expect(insideWeeklyResetWindow(new Date('2026-05-04T06:00:00Z'))).toBe(true); // Monday
    expect(insideWeeklyResetWindow(new Date('2026-05-04T07:59:59Z'))).toBe(true);
    expect(insideWeeklyResetWindow(new Date('2026-05-04T08:00:00Z'))).toBe(false);
    expect(insideWeeklyResetWindow(new Date('2026-05-05T06:30:00Z'))).toBe(false); // Tuesday
  });

  it('decodes a static token’s type and tenant without printing it', async () => {
    const token = await new SignJWT({ avitype: 16, avitenant: 4242, avinonce: 'n', avidomain: '.avinode.com' })
      .setProtectedHeader({ alg: 'HS512', kid: 'k1' })
      .setIssuer('avinode')
      .setSubject('7d3c5e9a-1111-2222-3333-444455556666')
      .sign(new TextEncoder().encode('x'.repeat(64)));
    const text = describeStaticToken(token);
    expect(text).toBe(
      'JWT HS512 with kid, iss avinode, avitype 16 (labelled "interactive" by one integration), tenant (avitenant) 4242, sub 7d3c…, no exp claim (static credential; the portal shows its expiry)',
    );
    expect(text).not.toContain(token.split('.')[2]!);
    expect(describeStaticToken('opaque-static-token')).toBe('not a JWT: an opaque token of 19 characters');
  });

  it('reads a token-endpoint rejection from details, nested causes or the message', () => {
    expect(
      tokenRejectionOf({
        details: [{ status: 401, error: 'invalid_client', errorDetails: ['invalid_client_secret_post'] }],
      }),
    ).toEqual({
      status: 401,
      error: 'invalid_client',
      codes: ['invalid_client_secret_post'],
    });
    expect(
      tokenRejectionOf({
        cause: { details: { error: 'invalid_client', errorDetails: [{ code: 'invalid_client_secret_jwt' }] } },
      }),
    ).toEqual({
      error: 'invalid_client',
      codes: ['invalid_client_secret_jwt'],
    });
    expect(tokenRejectionOf(new Error('POST /oauth/token → 401 invalid_client invalid_client_secret_basic'))).toEqual({
      error: 'invalid_client',
      codes: ['invalid_client_secret_basic'],
    });
    expect(tokenRejectionOf(new Error('socket hang up'))).toBeUndefined();
  });

  it('reads the method the server tried from the errorDetails code', () => {
    expect(methodTriedByServer(['invalid_client_secret_post'])).toBe('client_secret_post');
    expect(methodTriedByServer(['something_else'])).toBeUndefined();
  });
});

describe('avinode CLI helpers', () => {
  it('builds a round trip from the trip flags', () => {
    const legsFromFlags = (flags: TripFlags) =>
      tripRequestFromFlags(flags, { command: 'create-trip', nowMs: Date.parse('2026-05-01T00:00:00Z') }).legs;
    expect(
      legsFromFlags({
        from: 'kteb',
        to: 'KPBI',
        date: '2026-05-14',
        time: '09:30',
        pax: '5',
        'return-date': '2026-05-18',
      }),
    ).toEqual([
      { from: 'KTEB', to: 'KPBI', date: '2026-05-14', time: '09:30', pax: 5 },
      { from: 'KPBI', to: 'KTEB', date: '2026-05-18', pax: 5 },
    ]);
    expect(() => legsFromFlags({ from: 'KTEB', to: 'KPBI', date: '2026-05-14', pax: '0' })).toThrow(UsageError);
    expect(() => legsFromFlags({ to: 'KPBI', date: '2026-05-14', pax: '1' })).toThrow('create-trip: missing --from');
  });

  it('uses --base-url over the configuration and refuses remote plain HTTP', () => {
    const config = loadConfig({});
    expect(() => resolveTarget(config, undefined)).toThrow('AVINODE_BASE_URL is unset');
    expect(resolveTarget(config, 'http://127.0.0.1:8280/api/').baseUrl).toBe('http://127.0.0.1:8280/api');
    expect(resolveTarget(config, 'https://sandbox.avinode.com/api').baseUrl).toBe('https://sandbox.avinode.com/api');
    expect(() => resolveTarget(config, 'http://sandbox.avinode.com/api')).toThrow('is not HTTPS');
  });
});
