// The signature of charterflow's callbacks, shared by the sender (activities/callbacks.ts) and every
// receiver (`charterflow/callbacks`): `X-Charterflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256
// of "<t>.<body>">` keyed with CALLBACK_SECRET, so receivers can check origin and freshness.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-charterflow-signature';
export const EVENT_ID_HEADER = 'x-charterflow-event-id';
export const EVENT_TYPE_HEADER = 'x-charterflow-event';

export function signCallback(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

/** For receivers (and tests): true when the header signs this body with this secret within the tolerance. */
export function verifyCallbackSignature(
  secret: string,
  body: string,
  header: string | undefined,
  options: { nowSeconds?: number; toleranceSeconds?: number } = {},
): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const timestamp = Number(match[1]);
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signCallback(secret, body, timestamp).slice(-64), 'hex');
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}
