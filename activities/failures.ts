// One mapping of every HTTP, network, parse and envelope outcome to an ApplicationFailure whose
// `type` comes from the FailureType table (style.md §3). Messages carry the method, the route
// template, the status and Avinode's error codes: never bodies, headers, secrets or tokens.
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../workflows/contract.ts';

export const RETRY_AFTER_MIN_MS = 1_000;
export const RETRY_AFTER_MAX_MS = 10 * 60_000;
/** Without a usable Retry-After, a 429 still waits this long rather than hot-looping. */
export const RETRY_AFTER_DEFAULT_MS = 30_000;

/** Codes Avinode returns when the connection may not touch a resource (observed with or without 403). */
export const FORBIDDEN_CODES = new Set(['AUTHENTICATION_COMPANY_ACCESS', 'NOT_AUTHORIZED', 'AUTHORIZATION_PERMISSIONS']);
export const UNAVAILABLE_CODES = new Set(['ERR_INTERNAL_CRITICAL']);
export const NOT_FOUND_CODES = new Set(['NOT_FOUND']);

/** Safe, secret-free facts about one HTTP outcome; stored as the failure's details. */
export interface HttpFailureDetails {
  method: string;
  route: string;
  status?: number;
  codes: string[];
  retryAfterMs?: number;
}

export interface HttpOutcome {
  method: string;
  /** The route template, e.g. `/trips/{id}`, never the expanded path. */
  route: string;
  status: number;
  codes?: readonly string[];
  /** Raw Retry-After header value, if any. */
  retryAfter?: string | null;
  now?: number;
  /** False when the bearer is static: a 401 was not met with a refresh and a replay. */
  tokenRefreshable?: boolean;
}

export function clampRetryAfterMs(ms: number): number {
  return Math.min(RETRY_AFTER_MAX_MS, Math.max(RETRY_AFTER_MIN_MS, Math.round(ms)));
}

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterToMs(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1_000;
  if (value === '' || /^[+-]?\d/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function describe(method: string, route: string, status: number | undefined, codes: readonly string[]): string {
  const outcome = status === undefined ? '' : ` → ${status}`;
  const suffix = codes.length > 0 ? ` ${codes.join(',')}` : '';
  return `${method} ${route}${outcome}${suffix}`;
}

function failure(
  type: FailureType,
  details: HttpFailureDetails,
  text: string,
  extra: { nonRetryable?: boolean; nextRetryDelay?: number; cause?: Error } = {},
): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message: text,
    nonRetryable: extra.nonRetryable ?? false,
    ...(extra.nextRetryDelay !== undefined ? { nextRetryDelay: extra.nextRetryDelay } : {}),
    ...(extra.cause ? { cause: extra.cause } : {}),
    details: [details],
  });
}

/** The FailureType a non-2xx status (plus Avinode error codes) stands for. */
export function failureTypeForStatus(status: number, codes: readonly string[] = []): FailureType {
  if (status === 429) return FailureType.RateLimited;
  if (codes.some((code) => UNAVAILABLE_CODES.has(code))) return FailureType.Unavailable;
  if (codes.some((code) => FORBIDDEN_CODES.has(code))) return FailureType.Forbidden;
  if (status === 401) return FailureType.AuthRejected;
  if (status === 403) return FailureType.Forbidden;
  if (status === 404 || codes.some((code) => NOT_FOUND_CODES.has(code))) return FailureType.NotFound;
  if (status === 408 || status >= 500) return FailureType.Unavailable;
  if (status >= 400) return FailureType.RequestInvalid;
  return FailureType.ContractViolation;
}

const RETRYABLE: ReadonlySet<FailureType> = new Set([FailureType.RateLimited, FailureType.Unavailable]);

/** A non-2xx answer (a 401 reaching here has survived one forced refresh and replay, unless the token is static). */
export function httpStatusFailure(outcome: HttpOutcome): ApplicationFailure {
  const codes = [...(outcome.codes ?? [])];
  const type = failureTypeForStatus(outcome.status, codes);
  const details: HttpFailureDetails = { method: outcome.method, route: outcome.route, status: outcome.status, codes };
  let text = describe(outcome.method, outcome.route, outcome.status, codes);
  if (type === FailureType.RateLimited) {
    const raw = retryAfterToMs(outcome.retryAfter, outcome.now);
    const delay = clampRetryAfterMs(raw ?? RETRY_AFTER_DEFAULT_MS);
    details.retryAfterMs = delay;
    text += ` (retry after ${Math.round(delay / 1000)} s)`;
    return failure(type, details, text, { nextRetryDelay: delay });
  }
  if (outcome.status >= 300 && outcome.status < 400) text += ' (a redirect: not followed, credentials stay on the configured Avinode origin)';
  if (type === FailureType.AuthRejected) {
    text += outcome.tokenRefreshable === false ? ' (a static bearer token cannot be refreshed: replace AVINODE_BEARER_TOKEN)' : ' (still rejected after one token refresh)';
  }
  return failure(type, details, text, { nonRetryable: !RETRYABLE.has(type) });
}

/** Timeouts, resets, refused connections, DNS errors: the request may or may not have arrived. */
export function networkFailure(method: string, route: string, error: unknown): ApplicationFailure {
  const code = networkErrorCode(error);
  const details: HttpFailureDetails = { method, route, codes: code ? [code] : [] };
  return failure(FailureType.Unavailable, details, `${method} ${route} → network error${code ? ` ${code}` : ''}`);
}

function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return error.name;
  return undefined;
}

/** A 2xx answer whose `meta.errors` is non-empty, for an operation that must then count as failed. */
export function softErrorFailure(method: string, route: string, status: number, codes: readonly string[]): ApplicationFailure {
  const details: HttpFailureDetails = { method, route, status, codes: [...codes] };
  return failure(FailureType.RequestInvalid, details, `${describe(method, route, status, codes)} (soft errors in meta.errors)`, {
    nonRetryable: true,
  });
}

/**
 * The response did not match its schema (or was not JSON). Only zod issue paths and codes are
 * kept: issue messages can quote received values.
 */
export function contractViolation(
  method: string,
  route: string,
  status: number,
  issues: readonly { path: readonly PropertyKey[]; code: string }[],
): ApplicationFailure {
  const where = issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}:${issue.code}`)
    .join(', ');
  const details: HttpFailureDetails = { method, route, status, codes: [] };
  return failure(FailureType.ContractViolation, details, `${describe(method, route, status, [])} response violates its schema: ${where}`, {
    nonRetryable: true,
  });
}

/** An href outside the configured Avinode origin: refused, never followed, no credentials sent. */
export function foreignHref(foreignOrigin: string, expectedOrigin: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.ForeignHref,
    message: `refused href on ${foreignOrigin}: only ${expectedOrigin} receives Avinode credentials`,
    nonRetryable: true,
    details: [{ origin: foreignOrigin, expectedOrigin }],
  });
}

/** Whether an error is a failure of the given type (works across realms: compares the string). */
export function isFailureOfType(error: unknown, type: FailureType): error is ApplicationFailure {
  return error instanceof ApplicationFailure && error.type === type;
}

/** The HTTP status recorded on a failure from this module; undefined for network and other errors. */
export function httpStatusOf(error: unknown): number | undefined {
  if (!(error instanceof ApplicationFailure)) return undefined;
  const details = error.details?.[0] as Partial<HttpFailureDetails> | undefined;
  return typeof details?.status === 'number' ? details.status : undefined;
}
