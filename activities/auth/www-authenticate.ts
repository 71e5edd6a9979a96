// Parses `WWW-Authenticate: Bearer realm="x", error="invalid_token", …` (RFC 6750 §3).

export interface BearerChallenge {
  scheme: string;
  params: Record<string, string>;
}

export function parseWwwAuthenticate(header: string | string[] | undefined | null): BearerChallenge | undefined {
  const value = (Array.isArray(header) ? header.join(', ') : header)?.trim();
  if (!value) return undefined;
  const scheme = /^([A-Za-z][\w-]*)/.exec(value)?.[1];
  if (!scheme) return undefined;
  const params: Record<string, string> = {};
  const pattern = /([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (const match of value.slice(scheme.length).matchAll(pattern)) {
    params[match[1]!.toLowerCase()] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!;
  }
  return { scheme, params };
}
