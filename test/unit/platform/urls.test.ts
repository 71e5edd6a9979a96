// The one URL rule of every process: credentials travel over HTTPS, plain HTTP only to this machine.
import { describe, expect, it } from 'vitest';
import { isHttpsOrLoopback, isLoopback } from '../../../platform/urls.ts';

describe('the https-unless-loopback rule', () => {
  it('accepts https anywhere and plain http to loopback hosts', () => {
    for (const url of [
      'https://sandbox.avinode.com/api',
      'http://127.0.0.1:8280/api',
      'http://localhost/x',
      'http://[::1]:9/x',
    ]) {
      expect(isHttpsOrLoopback(url), url).toBe(true);
    }
  });

  it('refuses plain http to other hosts, look-alike hosts, other schemes and unparsable text', () => {
    for (const url of [
      'http://sandbox.avinode.com/api',
      'http://localhost.attacker.example/',
      'http://127.0.0.1.nip.io/',
      'ftp://127.0.0.1/',
      'not a url',
    ]) {
      expect(isHttpsOrLoopback(url), url).toBe(false);
    }
  });

  it('knows loopback listen hosts in both IPv6 spellings', () => {
    expect(['127.0.0.1', 'localhost', '[::1]', '::1'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1'].some(isLoopback)).toBe(false);
  });
});
