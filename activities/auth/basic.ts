// HTTP Basic client authentication (RFC 6749 §2.3.1): id and secret are form-urlencoded first.

export type BasicEncoding = 'form' | 'raw' | 'strict';

const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
// oauth4webapi's encoding: every byte but A–Z a–z 0–9 escaped, except a space, which becomes `+` (vector 6).
const strictEncode = (value: string) =>
  [...Buffer.from(value, 'utf8')]
    .map((byte) => {
      const char = String.fromCharCode(byte);
      if (/[A-Za-z0-9]/.test(char)) return char;
      return byte === 0x20 ? '+' : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');

/** `Basic base64(enc(id) ":" enc(secret))` over UTF-8 bytes; never btoa (Latin-1, throws on €). */
export function encodeBasicCredentials(id: string, secret: string, mode: BasicEncoding = 'form'): string {
  const encode = mode === 'form' ? formEncode : mode === 'strict' ? strictEncode : (value: string) => value;
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`, 'utf8').toString('base64')}`;
}
