// Signed JSON callbacks to the backend (deep link ready, quote received, phase changed).
// Signature: `X-Charterflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
// keyed with CALLBACK_SECRET, so receivers can check origin and freshness. Temporal retries.
import { HTTPS_RULE, isHttpsOrLoopback } from '../platform/urls.ts';
import { request, type Dispatcher } from 'undici';
import type { ApplicationFailure } from '@temporalio/common';
import type { CallbackEvent } from '../workflows/contract.ts';
import { failures } from '../workflows/failures.ts';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signCallback } from '../platform/callback-signature.ts';

/** Answers that retrying will not change: the receiver refuses this event. Everything else is retried. */
const REJECTING_STATUSES = new Set([400, 410, 413, 422]);

function rejected(message: string): ApplicationFailure {
  return failures.callbackRejected(message);
}

/** Only the origin goes into messages: callback URLs may carry tokens in their path or query. */
function checkedUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw rejected('callback URL is not a valid URL');
  }
  if (!isHttpsOrLoopback(url)) {
    throw rejected(`callback URL ${url.origin} ${HTTPS_RULE}`);
  }
  return url;
}

export interface CallbackDeliveryOptions {
  secret: string | undefined;
  dispatcher?: Dispatcher;
  timeoutMs?: number;
  signal?: AbortSignal;
  nowSeconds?: () => number;
}

export async function deliverSignedCallback(
  rawUrl: string,
  event: CallbackEvent,
  options: CallbackDeliveryOptions,
): Promise<{ status: number }> {
  if (!options.secret) {
    throw failures.configurationInvalid('CALLBACK_SECRET is not set: callbacks are only sent signed');
  }
  const url = checkedUrl(rawUrl);
  const body = JSON.stringify(event);
  const timestamp = options.nowSeconds?.() ?? Math.floor(Date.now() / 1000);
  const timeoutMs = options.timeoutMs ?? 10_000;
  let status: number;
  try {
    const response = await request(url, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signCallback(options.secret, body, timestamp),
        [EVENT_ID_HEADER]: event.eventId,
        [EVENT_TYPE_HEADER]: event.type,
      },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    status = response.statusCode;
    await response.body.dump();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw failures.callbackUndelivered(
      `POST callback ${url.origin} → network error${typeof code === 'string' ? ` ${code}` : ''}`,
    );
  }
  if (status >= 200 && status < 300) return { status };
  if (REJECTING_STATUSES.has(status))
    throw rejected(`POST callback ${url.origin} → ${status} (receiver refused the event)`);
  throw failures.callbackUndelivered(`POST callback ${url.origin} → ${status}`);
}

export const deliverCallback = deliverSignedCallback;
