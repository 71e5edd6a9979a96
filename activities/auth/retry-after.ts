// `Retry-After` is delay-seconds or an HTTP-date (RFC 9110 §10.2.3).

/** Milliseconds to wait, or undefined when the header is absent or garbage. */
export function parseRetryAfter(header: string | string[] | undefined | null, nowMs: number = Date.now()): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  if (!/[a-z]/i.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
