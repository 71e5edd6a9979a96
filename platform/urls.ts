// The one rule for URLs that carry credentials or personal data (the Avinode API and token endpoint,
// webhook targets, callbacks, the codec's JWKS): HTTPS, except towards this machine.

/** Hosts on this machine, where plain HTTP is acceptable (the emulator, local receivers). `[::1]` as in a URL, `::1` as a listen host. */
export const isLoopback = (host: string) => /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i.test(host);

/** The message the rule's checks report after the variable, flag or field they name. */
export const HTTPS_RULE = 'must use https:// for a non-loopback host';

/** `https:`, or `http:` to a loopback host; anything else (other schemes, unparsable text) fails. */
export function isHttpsOrLoopback(url: string | URL): boolean {
  const parsed = typeof url === 'string' ? (URL.canParse(url) ? new URL(url) : undefined) : url;
  if (!parsed) return false;
  return parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopback(parsed.hostname));
}
