// The one failure module: every ApplicationFailure of charterflow is built here, by a named
// constructor per FailureType (type, retryability, nextRetryDelay, structured details), plus the
// mapping of HTTP, network, parse and envelope outcomes onto them (style.md §3). Pure: only
// @temporalio/common and the contract, so workflows raise their failures through it too.
// Messages carry the method, the route template, the status and Avinode's error codes: never
// bodies, headers, secrets or tokens.
import { ApplicationFailure } from '@temporalio/common';
import { CREDENTIAL_FAILURE_TYPES, FailureType, NON_RETRYABLE_FAILURE_TYPES } from './contract.ts';

/** One row of the failure table: when a type is raised, and whether Temporal retries it. */
export interface FailureKind {
  raisedWhen: string;
  retry: string;
}

/** The failure table (README "Failures"): one row per FailureType, checked against the README by a test. */
export const FAILURE_TABLE: Readonly<Record<FailureType, FailureKind>> = {
  [FailureType.RateLimited]: {
    raisedWhen: "429 from Avinode or a token endpoint, or the webhook receiver's own Avinode read budget spent",
    retry: 'yes, after `Retry-After` (clamped to 1 s – 10 min; 30 s without one)',
  },
  [FailureType.Unavailable]: {
    raisedWhen: '5xx, 408, network error or timeout, token endpoint or JWKS unreachable',
    retry: 'yes, Temporal backoff',
  },
  [FailureType.AuthRejected]: {
    raisedWhen: '401 that persists after one forced token refresh (or any 401 of a static token)',
    retry: 'no; the run waits in `blocked`',
  },
  [FailureType.Forbidden]: { raisedWhen: '403, or a permission error code', retry: 'no; the run waits in `blocked`' },
  [FailureType.RequestInvalid]: {
    raisedWhen: '400/422, a 2xx with `meta.errors` for a write, an invalid trip request',
    retry: 'no',
  },
  [FailureType.NotFound]: { raisedWhen: '404 or `NOT_FOUND`', retry: 'no; the caller decides' },
  [FailureType.ContractViolation]: {
    raisedWhen: 'a response outside its schema, not JSON, too large, or a token answer without a token',
    retry: 'no',
  },
  [FailureType.TokenEndpointRejected]: {
    raisedWhen: 'the token endpoint refuses the client, grant or scope (`invalid_client`, …)',
    retry: 'no; the run waits in `blocked`',
  },
  [FailureType.TripVanished]: {
    raisedWhen: 'a trip that existed answers `NOT_FOUND` (the weekly sandbox rebuild)',
    retry: 'no; the run applies its `onReset` policy',
  },
  [FailureType.ForeignHref]: { raisedWhen: 'an `href` outside the configured Avinode API', retry: 'no' },
  [FailureType.CallbackRejected]: {
    raisedWhen: 'a callback URL that is not https, or a receiver refusing the event (4xx)',
    retry: 'no',
  },
  [FailureType.CallbackUndelivered]: {
    raisedWhen: 'a callback receiver that answers 5xx/408/429 or cannot be reached',
    retry: 'yes, Temporal backoff',
  },
  [FailureType.ConfigurationInvalid]: {
    raisedWhen: 'missing credentials, a redirecting or missing token URL, no `CALLBACK_SECRET`',
    retry: 'no',
  },
  [FailureType.TripFailed]: { raisedWhen: 'a run ends in `failed`, or a request to it cannot be served', retry: 'no' },
};

/** The README's failure table, rendered from FAILURE_TABLE. */
export function renderFailureTable(): string {
  const rows = (Object.entries(FAILURE_TABLE) as [FailureType, FailureKind][]).map(
    ([type, kind]) => `| \`${type}\` | ${kind.raisedWhen} | ${kind.retry} |`,
  );
  return ['| Failure type | Raised when | Retried |', '|---|---|---|', ...rows].join('\n');
}

const NON_RETRYABLE: ReadonlySet<string> = new Set(NON_RETRYABLE_FAILURE_TYPES);

interface FailureOptions {
  /** Default: the type's own retryability (NON_RETRYABLE_FAILURE_TYPES). */
  nonRetryable?: boolean;
  nextRetryDelay?: number;
  details?: readonly unknown[];
  cause?: Error;
}

/** The only place an ApplicationFailure is created. */
function make(type: string, message: string, options: FailureOptions = {}): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: options.nonRetryable ?? NON_RETRYABLE.has(type),
    ...(options.nextRetryDelay !== undefined ? { nextRetryDelay: options.nextRetryDelay } : {}),
    ...(options.cause ? { cause: options.cause } : {}),
    ...(options.details ? { details: [...options.details] } : {}),
  });
}

const one = (details: unknown): { details?: unknown[] } => (details === undefined ? {} : { details: [details] });

// ── Retry-After ──────────────────────────────────────────────────────────────

export const RETRY_AFTER_MIN_MS = 1_000;
export const RETRY_AFTER_MAX_MS = 10 * 60_000;
/** Without a usable Retry-After, a 429 still waits this long rather than hot-looping. */
export const RETRY_AFTER_DEFAULT_MS = 30_000;

/**
 * Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms from `now`; undefined when
 * absent, blank or unreadable (negative or fractional numbers, `12abc`). A date in the past is 0.
 */
export function parseRetryAfter(
  header: string | readonly string[] | null | undefined,
  now: number = Date.now(),
): number | undefined {
  const value = (typeof header === 'string' ? header : header?.[0])?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1_000;
  if (/^[+-]?\d/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function clampRetryAfterMs(ms: number): number {
  return Math.min(RETRY_AFTER_MAX_MS, Math.max(RETRY_AFTER_MIN_MS, Math.round(ms)));
}

/** The wait a 429 asks for: its Retry-After, clamped, or the default when it gives none. */
export function retryDelayOf(header: string | readonly string[] | null | undefined, now: number = Date.now()): number {
  return clampRetryAfterMs(parseRetryAfter(header, now) ?? RETRY_AFTER_DEFAULT_MS);
}

// ── Named constructors, one per type ─────────────────────────────────────────

export const failures = {
  /** Retryable after `retryAfterMs` (already decided: see retryDelayOf). */
  rateLimited: (message: string, retryAfterMs: number, details?: unknown) =>
    make(FailureType.RateLimited, message, { nextRetryDelay: retryAfterMs, ...one(details) }),
  unavailable: (message: string, details?: unknown) => make(FailureType.Unavailable, message, one(details)),
  authRejected: (message: string, details?: unknown) => make(FailureType.AuthRejected, message, one(details)),
  forbidden: (message: string, details?: unknown) => make(FailureType.Forbidden, message, one(details)),
  requestInvalid: (message: string, details?: unknown) => make(FailureType.RequestInvalid, message, one(details)),
  notFound: (message: string, details?: unknown) => make(FailureType.NotFound, message, one(details)),
  /** `retryable`: a provider anomaly the caller retries itself before giving up (token answers). */
  contractViolation: (message: string, details?: unknown, { retryable = false }: { retryable?: boolean } = {}) =>
    make(FailureType.ContractViolation, message, { nonRetryable: !retryable, ...one(details) }),
  tokenEndpointRejected: (message: string, details?: readonly unknown[]) =>
    make(FailureType.TokenEndpointRejected, message, details ? { details } : {}),
  tripVanished: (message: string) => make(FailureType.TripVanished, message),
  foreignHref: (message: string, details?: unknown) => make(FailureType.ForeignHref, message, one(details)),
  callbackRejected: (message: string) => make(FailureType.CallbackRejected, message),
  callbackUndelivered: (message: string) => make(FailureType.CallbackUndelivered, message),
  configurationInvalid: (message: string, details?: unknown) =>
    make(FailureType.ConfigurationInvalid, message, one(details)),
  tripFailed: (message: string) => make(FailureType.TripFailed, message),
  /**
   * A final failure of a type decided elsewhere (an activity's failure the workflow passes on, a
   * typed error re-raised with more words): same type, never retried.
   */
  final: (type: string, message: string, details?: readonly unknown[]) =>
    make(type, message, { nonRetryable: true, ...(details ? { details } : {}) }),
} as const;

// ── Reading failures ─────────────────────────────────────────────────────────

/** The failure type, also of typed errors that are not ApplicationFailures (a token layer may throw those). */
export function failureTypeOf(error: unknown): string | undefined {
  const type =
    error instanceof ApplicationFailure ? error.type : (error as { type?: unknown } | null | undefined)?.type;
  return typeof type === 'string' ? type : undefined;
}

/** Whether an error is a failure of the given type (works across realms: compares the string). */
export function isFailureOfType(error: unknown, type: FailureType): error is ApplicationFailure {
  return error instanceof ApplicationFailure && error.type === type;
}

/** Whether an error is typed as one of the given types (ApplicationFailure or not). */
export function isTyped(error: unknown, ...types: readonly string[]): boolean {
  const type = failureTypeOf(error);
  return type !== undefined && types.includes(type);
}

/** Credentials or permissions a person must fix: runs wait in `blocked` for these. */
export function isCredentialFailure(error: unknown): boolean {
  return isTyped(error, ...CREDENTIAL_FAILURE_TYPES);
}

/**
 * A credential failure that names how this worker authenticates (`auth`, e.g. `OAuth client
 * credentials, client_secret_post`), final. Any other error comes back unchanged; so does one that
 * already names the method. Details of an untyped error are unknown territory: they stay out.
 */
export function namingAuthMethod(error: unknown, auth: string | undefined, method?: string): unknown {
  if (!isCredentialFailure(error)) return error;
  const raw = (error as { message?: unknown }).message;
  const message = typeof raw === 'string' ? raw : 'credentials rejected';
  const named = !auth || message.includes(auth) || (method !== undefined && message.includes(method));
  if (error instanceof ApplicationFailure && error.nonRetryable && named) return error;
  const details = error instanceof ApplicationFailure && error.details ? error.details : undefined;
  return failures.final(failureTypeOf(error)!, named ? message : `${message} (auth: ${auth})`, details);
}

// ── HTTP outcomes ────────────────────────────────────────────────────────────

/** Codes Avinode returns when the connection may not touch a resource (observed with or without 403). */
export const FORBIDDEN_CODES = new Set([
  'AUTHENTICATION_COMPANY_ACCESS',
  'NOT_AUTHORIZED',
  'AUTHORIZATION_PERMISSIONS',
]);
export const UNAVAILABLE_CODES = new Set(['ERR_INTERNAL_CRITICAL']);
export const NOT_FOUND_CODES = new Set(['NOT_FOUND']);

/** Safe, secret-free facts about one HTTP outcome; stored as the failure's details. */
export interface HttpFailureDetails {
  method: string;
  route: string;
  status?: number;
  codes: string[];
  retryAfterMs?: number;
  maxResponseBytes?: number;
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

function describe(method: string, route: string, status: number | undefined, codes: readonly string[]): string {
  const outcome = status === undefined ? '' : ` → ${status}`;
  const suffix = codes.length > 0 ? ` ${codes.join(',')}` : '';
  return `${method} ${route}${outcome}${suffix}`;
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

/** A non-2xx answer (a 401 reaching here has survived one forced refresh and replay, unless the token is static). */
export function httpStatusFailure(outcome: HttpOutcome): ApplicationFailure {
  const codes = [...(outcome.codes ?? [])];
  const type = failureTypeForStatus(outcome.status, codes);
  const details: HttpFailureDetails = { method: outcome.method, route: outcome.route, status: outcome.status, codes };
  let text = describe(outcome.method, outcome.route, outcome.status, codes);
  if (type === FailureType.RateLimited) {
    const delay = retryDelayOf(outcome.retryAfter, outcome.now);
    details.retryAfterMs = delay;
    return failures.rateLimited(`${text} (retry after ${Math.round(delay / 1000)} s)`, delay, details);
  }
  if (outcome.status >= 300 && outcome.status < 400)
    text += ' (a redirect: not followed, credentials stay on the configured Avinode origin)';
  if (type === FailureType.AuthRejected) {
    text +=
      outcome.tokenRefreshable === false
        ? ' (a static bearer token cannot be refreshed: replace AVINODE_BEARER_TOKEN)'
        : ' (still rejected after one token refresh)';
  }
  return make(type, text, { details: [details] });
}

/** Timeouts, resets, refused connections, DNS errors: the request may or may not have arrived. */
export function networkFailure(method: string, route: string, error: unknown): ApplicationFailure {
  const code = networkErrorCode(error);
  const details: HttpFailureDetails = { method, route, codes: code ? [code] : [] };
  return failures.unavailable(`${method} ${route} → network error${code ? ` ${code}` : ''}`, details);
}

/** The error code of a network error (`ECONNRESET`, `UND_ERR_HEADERS_TIMEOUT`, `TimeoutError`), if any. */
export function networkErrorCode(error: unknown): string | undefined {
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
export function softErrorFailure(
  method: string,
  route: string,
  status: number,
  codes: readonly string[],
  addendum?: string,
): ApplicationFailure {
  const details: HttpFailureDetails = { method, route, status, codes: [...codes] };
  return failures.requestInvalid(
    `${describe(method, route, status, codes)} (soft errors in meta.errors)${addendum ? `; ${addendum}` : ''}`,
    details,
  );
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
  return failures.contractViolation(
    `${describe(method, route, status, [])} response violates its schema: ${where}`,
    details,
  );
}

/**
 * A 2xx whose body is larger than maxResponseBytes: not an answer we can use. Non-retryable like
 * any other response outside the contract; a non-2xx keeps the failure type of its status.
 */
export function responseTooLarge(method: string, route: string, status: number, limit: number): ApplicationFailure {
  const details: HttpFailureDetails = { method, route, status, codes: ['RESPONSE_TOO_LARGE'], maxResponseBytes: limit };
  return failures.contractViolation(
    `${method} ${route} → ${status} response body exceeds the ${limit}-byte limit (maxResponseBytes); not read further`,
    details,
  );
}

/** An href outside the configured Avinode origin: refused, never followed, no credentials sent. */
export function foreignHref(foreignOrigin: string, expectedOrigin: string): ApplicationFailure {
  return failures.foreignHref(`refused href on ${foreignOrigin}: only ${expectedOrigin} receives Avinode credentials`, {
    origin: foreignOrigin,
    expectedOrigin,
  });
}

/** The HTTP status recorded on a failure from this module; undefined for network and other errors. */
export function httpStatusOf(error: unknown): number | undefined {
  if (!(error instanceof ApplicationFailure)) return undefined;
  const details = error.details?.[0] as Partial<HttpFailureDetails> | undefined;
  return typeof details?.status === 'number' ? details.status : undefined;
}

// ── Problems of user input (configuration, trip requests, CLI flags) ─────────

/** One thing wrong with an input: where (`AVINODE_BASE_URL`, `legs[0].from`, `--pax`) and what. */
export interface Problem {
  path: string;
  message: string;
  /** What kind of problem, where a reader acts on it: a value that is missing, a URL that must be https. */
  code?: 'required' | 'insecure_url';
}

/** `path: message`, the way problem lists print. */
export const problemText = (problem: Problem): string =>
  problem.path ? `${problem.path}: ${problem.message}` : problem.message;
