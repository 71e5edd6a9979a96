import { describe, expect, it } from 'vitest';
import { encodeBasicCredentials } from '../../../activities/auth/basic.ts';

// oauth-providers.md §7, vectors 1–7.
describe('encodeBasicCredentials', () => {
  it('matches the AirVantage doc in form and raw modes but not in strict mode (vector 1)', () => {
    expect(encodeBasicCredentials('my_client', 'the_secret', 'form')).toBe('Basic bXlfY2xpZW50OnRoZV9zZWNyZXQ=');
    expect(encodeBasicCredentials('my_client', 'the_secret', 'raw')).toBe('Basic bXlfY2xpZW50OnRoZV9zZWNyZXQ=');
    expect(encodeBasicCredentials('my_client', 'the_secret', 'strict')).toBe('Basic bXklNUZjbGllbnQ6dGhlJTVGc2VjcmV0');
  });

  it('round-trips the RFC 6749 example in every mode (vector 2)', () => {
    const decoded = Buffer.from('czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3', 'base64').toString('utf8');
    expect(decoded).toBe('s6BhdRkqt3:7Fjfp0ZBr1KtDRbnfVdmIw');
    const [id, secret] = decoded.split(':') as [string, string];
    for (const mode of ['form', 'raw', 'strict'] as const) {
      expect(encodeBasicCredentials(id, secret, mode)).toBe('Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3');
    }
  });

  it('escapes colons so the server splits id and secret correctly (vector 3)', () => {
    const expected = 'Basic Y2xpZW50JTNBaWQ6cCU0MHNzJTNBdyUyNXJk';
    expect(encodeBasicCredentials('client:id', 'p@ss:w%rd', 'form')).toBe(expected);
    expect(encodeBasicCredentials('client:id', 'p@ss:w%rd', 'strict')).toBe(expected);
    expect(Buffer.from(expected.slice(6), 'base64').toString()).toBe('client%3Aid:p%40ss%3Aw%25rd');
    expect(encodeBasicCredentials('client:id', 'p@ss:w%rd', 'raw')).toBe('Basic Y2xpZW50OmlkOnBAc3M6dyVyZA==');
  });

  it('encodes non-ASCII as UTF-8, never Latin-1 like btoa (vector 4)', () => {
    expect(encodeBasicCredentials('kunde', 'pässwörd', 'form')).toBe('Basic a3VuZGU6cCVDMyVBNHNzdyVDMyVCNnJk');
    expect(encodeBasicCredentials('kunde', 'pässwörd', 'raw')).toBe('Basic a3VuZGU6cMOkc3N3w7ZyZA==');
    expect(encodeBasicCredentials('kunde', 'pässwörd', 'raw')).not.toBe(`Basic ${btoa('kunde:pässwörd')}`);
    expect(() => encodeBasicCredentials('kunde', 'pr€is', 'raw')).not.toThrow();
  });

  it('distinguishes form, strict and raw for + / = and - (vector 5)', () => {
    expect(encodeBasicCredentials('abc4ba37-4ab8-49b5', 'a+b/c=', 'form')).toBe(
      'Basic YWJjNGJhMzctNGFiOC00OWI1OmElMkJiJTJGYyUzRA==',
    );
    expect(encodeBasicCredentials('abc4ba37-4ab8-49b5', 'a+b/c=', 'strict')).toBe(
      'Basic YWJjNGJhMzclMkQ0YWI4JTJENDliNTphJTJCYiUyRmMlM0Q=',
    );
    expect(encodeBasicCredentials('abc4ba37-4ab8-49b5', 'a+b/c=', 'raw')).toBe(
      'Basic YWJjNGJhMzctNGFiOC00OWI1OmErYi9jPQ==',
    );
  });

  it('matches the public AppAuth-Android vector in form and strict modes (vector 6)', () => {
    const expected =
      'Basic MVBwRyUyRlErMTp6JTJGdFo5VndGWnFBcG1JUSUyQlpIMUk1cExrJTJGdUI0dWQlM0FYMiUyRjhiTCUyQndmRlR0MXJGdyUzRA==';
    expect(encodeBasicCredentials('1PpG/Q 1', 'z/tZ9VwFZqApmIQ+ZH1I5pLk/uB4ud:X2/8bL+wfFTt1rFw=', 'form')).toBe(
      expected,
    );
    expect(encodeBasicCredentials('1PpG/Q 1', 'z/tZ9VwFZqApmIQ+ZH1I5pLk/uB4ud:X2/8bL+wfFTt1rFw=', 'strict')).toBe(
      expected,
    );
  });

  it('form-encodes the RFC 6749 Appendix B characters (vector 7)', () => {
    const header = encodeBasicCredentials(' %&+£€', 's', 'form');
    expect(Buffer.from(header.slice(6), 'base64').toString('utf8')).toBe('+%25%26%2B%C2%A3%E2%82%AC:s');
  });

  it('defaults to form encoding', () => {
    expect(encodeBasicCredentials('a+b', 'c')).toBe(encodeBasicCredentials('a+b', 'c', 'form'));
  });
});
