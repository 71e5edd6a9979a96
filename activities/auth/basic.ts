// HTTP Basic client authentication (RFC 6749 §2.3.1): id and secret are form-urlencoded first.

export type BasicEncoding = 'form' | 'raw' | 'strict';

const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
const strictEncode = (value: string) =>
  [...Buffer.from(value, 'utf8')]
    .map((byte) => (/[A-Za-z0-9]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');

/** `Basic base64(enc(id) ":" enc(secret))` over UTF-8 bytes; never btoa (Latin-1, throws on €). */
export function encodeBasicCredentials(id: string, secret: string, mode: BasicEncoding = 'form'): string {
  const encode = mode === 'form' ? formEncode : mode === 'strict' ? strictEncode : (value: string) => value;
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`, 'utf8').toString('base64')}`;
}
