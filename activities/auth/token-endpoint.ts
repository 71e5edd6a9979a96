// One POST to a token endpoint and the mapping of every outcome to an action (oauth-providers.md §5).
import { ApplicationFailure } from '@temporalio/common';
import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { failures, retryDelayOf } from '../../workflows/failures.ts';
import type { Logger } from '../../platform/logging.ts';
import type { TokenGrant, TokenSourceDescription } from './token-source.ts';

export interface TokenHttpDeps {
  dispatcher?: Dispatcher;
  logger?: Pick<Logger, 'info' | 'warn'>;
  timeoutMs?: number;
}

/** Non-secret facts of a token-endpoint failure, kept in the failure's details for `doctor`. */
export interface TokenEndpointErrorDetails {
  provider: string;
  host: string;
  clientId?: string;
  method: string;
  status: number;
  error?: string;
  errorDetails: string[];
}

const REJECTIONS = new Set([
  'invalid_client',
  'unauthorized_client',
  'invalid_scope',
  'invalid_grant',
  'invalid_request',
  'unsupported_grant_type',
  'access_denied',
]);

const TokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string().min(1),
  expires_in: z.coerce.number().positive().optional(),
  scope: z.string().optional(),
  refresh_token: z.string().min(1).optional(),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

const OAuthError = z.object({
  error: z.string(),
  error_description: z.string().optional(),
  errorDetails: z.array(z.object({ code: z.string() })).optional(),
});

export interface TokenCall {
  url: string;
  method?: 'POST' | 'GET';
  headers: Record<string, string>;
  body?: string;
  description: TokenSourceDescription;
  /** How this call is named in logs and messages (never a URL with secrets). */
  route?: string;
  /** Provider-specific explanation of a 401/403 without an OAuth body. */
  bareRejectionHint?: string;
  /** Extra words for invalid_client (e.g. Avinode's reset window). */
  invalidClientHint?: string;
}

function what(d: TokenSourceDescription): string {
  return `${d.provider} token endpoint at ${d.host} (client ${d.clientId ?? 'n/a'}, method ${d.method})`;
}

export async function callTokenEndpoint(
  call: TokenCall,
  deps: TokenHttpDeps,
  signal?: AbortSignal,
): Promise<{ status: number; json: unknown }> {
  const started = performance.now();
  const route = call.route ?? new URL(call.url).pathname;
  let status: number;
  let text: string;
  let retryAfter: string | string[] | undefined;
  try {
    const response = await request(call.url, {
      method: call.method ?? 'POST',
      headers: { accept: 'application/json', ...call.headers },
      body: call.body,
      dispatcher: deps.dispatcher,
      signal,
      headersTimeout: deps.timeoutMs ?? 15_000,
      bodyTimeout: deps.timeoutMs ?? 15_000,
    });
    status = response.statusCode;
    retryAfter = response.headers['retry-after'];
    text = await response.body.text();
  } catch (error) {
    deps.logger?.warn(
      {
        provider: call.description.provider,
        host: call.description.host,
        route,
        durationMs: Math.round(performance.now() - started),
        network: (error as Error).name,
      },
      'token request failed',
    );
    if ((error as Error).name === 'AbortError') throw error;
    throw failures.unavailable(
      `${what(call.description)} unreachable: ${(error as { code?: string }).code ?? (error as Error).name}`,
    );
  }
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const parsedError = OAuthError.safeParse(json);
  const codes = parsedError.success
    ? [parsedError.data.error, ...(parsedError.data.errorDetails ?? []).map((d) => d.code)]
    : [];
  deps.logger?.info(
    {
      provider: call.description.provider,
      host: call.description.host,
      route,
      status,
      durationMs: Math.round(performance.now() - started),
      errorCodes: codes,
    },
    'token request',
  );
  if (status >= 200 && status < 300) return { status, json };

  const details: TokenEndpointErrorDetails = {
    provider: call.description.provider,
    host: call.description.host,
    ...(call.description.clientId ? { clientId: call.description.clientId } : {}),
    method: call.description.method,
    status,
    ...(parsedError.success ? { error: parsedError.data.error } : {}),
    errorDetails: parsedError.success ? (parsedError.data.errorDetails ?? []).map((d) => d.code) : [],
  };
  const codeText = details.errorDetails.length ? ` (errorDetails: ${details.errorDetails.join(', ')})` : '';

  if (status === 429) {
    throw failures.rateLimited(`${what(call.description)} answered 429`, retryDelayOf(retryAfter), details);
  }
  if (status >= 500 || status === 408)
    throw failures.unavailable(`${what(call.description)} answered ${status}`, details);
  if (parsedError.success && REJECTIONS.has(parsedError.data.error)) {
    const evaluated = evaluatedMethodOf(details);
    const mismatch =
      evaluated && evaluated !== details.method
        ? ` The server evaluated the request as ${evaluated}, but ${details.method} is configured.`
        : '';
    const hint =
      (parsedError.data.error === 'invalid_client' && call.invalidClientHint ? ` ${call.invalidClientHint}` : '') +
      mismatch;
    throw failures.tokenEndpointRejected(
      `${what(call.description)} rejected the request: ${status} ${parsedError.data.error}${codeText}.${hint}`,
      [details],
    );
  }
  if (status === 401 || status === 403) {
    const why = call.bareRejectionHint ? `: ${status}, ${call.bareRejectionHint}` : ` answered ${status}${codeText}`;
    throw failures.tokenEndpointRejected(`${what(call.description)}${why}`, [details]);
  }
  if (status >= 300 && status < 400) {
    // undici's request() follows no redirect: the client credentials never leave the configured token URL.
    throw failures.configurationInvalid(
      `${what(call.description)} answered ${status}, a redirect; not followed, so no credential went elsewhere: set the token URL the redirect points at, if it is trusted`,
      details,
    );
  }
  if (status === 404 || status === 405)
    throw failures.configurationInvalid(
      `${what(call.description)} answered ${status}: is the token URL right?`,
      details,
    );
  throw failures.requestInvalid(
    `${what(call.description)} answered ${status}${parsedError.success ? ` ${parsedError.data.error}` : ' without an OAuth error body'}: the token request is malformed (a request-builder or configuration bug)`,
    details,
  );
}

/** A 2xx body must carry access_token and token_type (RFC 6749 §5.1); anything else is a provider anomaly. */
export function tokenResponseOf(json: unknown, description: TokenSourceDescription): TokenResponse {
  const parsed = TokenResponse.safeParse(json);
  if (!parsed.success) {
    const invalid = parsed.error.issues.map((i) => i.path.join('.') || 'body').join(', ');
    throw failures.contractViolation(
      `${what(description)} answered 2xx without a usable token (${invalid} invalid)`,
      undefined,
      { retryable: true },
    );
  }
  return parsed.data;
}

export function grantOf(response: TokenResponse): TokenGrant {
  return {
    value: response.access_token,
    tokenType: response.token_type,
    ...(response.expires_in !== undefined ? { expiresInSeconds: response.expires_in } : {}),
    ...(response.scope !== undefined ? { scope: response.scope } : {}),
  };
}

/** The client auth method a server says it evaluated, from an errorDetails code like `invalid_client_secret_post`. */
export function evaluatedMethodOf(details: Pick<TokenEndpointErrorDetails, 'errorDetails'>): string | undefined {
  for (const code of details.errorDetails) {
    const match = /^invalid_(client_secret_(?:basic|post|jwt)|private_key_jwt)$/.exec(code);
    if (match) return match[1];
  }
  return undefined;
}

/** The non-secret details a token-endpoint failure carries, or undefined for any other error. */
export function tokenEndpointErrorDetailsOf(error: unknown): TokenEndpointErrorDetails | undefined {
  if (!(error instanceof ApplicationFailure)) return undefined;
  const first = (error.details ?? [])[0] as Partial<TokenEndpointErrorDetails> | undefined;
  if (!first || typeof first !== 'object' || typeof first.status !== 'number' || typeof first.provider !== 'string')
    return undefined;
  return { errorDetails: [], method: 'unknown', host: '', ...first } as TokenEndpointErrorDetails;
}

export interface AnomalyRetryDeps {
  /** Pauses between attempts when a 2xx carries no usable token; default [250, 1000] (3 attempts). */
  anomalyRetryDelaysMs?: readonly number[];
}

/**
 * POSTs and parses a token response. A 2xx without a usable token is a provider anomaly: retried a
 * few times here, then a non-retryable ContractViolation (the type is in every nonRetryableErrorTypes).
 */
export async function requestToken(
  call: TokenCall,
  deps: TokenHttpDeps & AnomalyRetryDeps,
  signal?: AbortSignal,
): Promise<TokenResponse> {
  const delays = deps.anomalyRetryDelaysMs ?? [250, 1000];
  for (let attempt = 0; ; attempt += 1) {
    const { json } = await callTokenEndpoint(call, deps, signal);
    try {
      return tokenResponseOf(json, call.description);
    } catch (error) {
      if (attempt >= delays.length) {
        throw failures.contractViolation(`${(error as Error).message} after ${attempt + 1} attempts`);
      }
      await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
    }
  }
}
