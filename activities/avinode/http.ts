// The one way activities talk to the Avinode API: undici keep-alive pool per origin, the headers
// of avinode-api.md §2 (fresh X-Avinode-SentTimestamp per attempt), envelope parsing, zod
// validation, one forced token refresh + replay on 401, and every outcome mapped through
// workflows/failures.ts. One log line per HTTP exchange; never bodies, headers or tokens.
import { Agent, request, type Dispatcher } from 'undici';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import type { Logger } from '../../platform/logging.ts';
import {
  contractViolation,
  FORBIDDEN_CODES,
  failures,
  foreignHref,
  httpStatusFailure,
  networkFailure,
  responseTooLarge,
  softErrorFailure,
} from '../../workflows/failures.ts';
import { parseWwwAuthenticate } from '../auth/www-authenticate.ts';
import { Envelope, type ErrorItem } from './schemas.ts';

/** What the client needs of a token source; activities/auth's TokenSource fits structurally. */
export interface TokenSource {
  getToken(options?: { signal?: AbortSignal }): Promise<{ value: string }>;
  invalidate(token: { value: string }): boolean;
  /** False for a static bearer: a 401 is final (no refresh, no replay). */
  readonly refreshable?: boolean;
}

export interface HttpTimeouts {
  connectMs: number;
  headersMs: number;
  bodyMs: number;
}
export const DEFAULT_TIMEOUTS: HttpTimeouts = { connectMs: 5_000, headersMs: 15_000, bodyMs: 15_000 };
/** Larger than any Avinode answer we expect (a trip with all its RFQs and quotes is well under 1 MiB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024;

export interface AvinodeHttpOptions {
  /** e.g. `https://sandbox.avinode.com/api`; every credentialed request stays under its origin. */
  baseUrl: string;
  apiToken: string;
  product: string;
  apiVersion: string;
  actAsAccount?: string;
  tokenSource: TokenSource;
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** Tests inject an undici MockAgent; production gets a keep-alive Agent (one Pool per origin). */
  dispatcher?: Dispatcher;
  timeouts?: Partial<HttpTimeouts>;
  /** Response bodies larger than this stop being read (default DEFAULT_MAX_RESPONSE_BYTES, 5 MiB). */
  maxResponseBytes?: number;
  /** Wall clock for X-Avinode-SentTimestamp (tests pin it). */
  now?: () => Date;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * How 200 + `meta.errors` ("soft errors": done, but part of the input was invalid) is treated:
 * `fail` → RequestInvalid (writes: the result is not what we asked for);
 * `warn` → returned as warnings (reads: the data is still what we asked for).
 */
export type SoftErrorPolicy = 'fail' | 'warn';

export interface CallOptions {
  signal?: AbortSignal;
  /** The activity attempt, for the log line. */
  attempt?: number;
  /** Overrides the configured X-Avinode-ActAsAccount for this call; `null` omits it. */
  actAsAccount?: string | null;
}

/** Cancellation signal and attempt of the running activity; empty outside an activity (CLI, tests). */
export function activityCallOptions(): CallOptions {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return {};
  }
  return { signal: context.cancellationSignal, attempt: context.info.attempt };
}

export interface RequestSpec<T> extends CallOptions {
  method: HttpMethod;
  /** Route template with `{name}` placeholders, e.g. `/trips/{id}`; this is what logs and errors show. */
  route: string;
  params?: Record<string, string>;
  /** An array repeats the parameter (`outputCurrencies[]=USD&outputCurrencies[]=EUR`). */
  query?: Record<string, string | number | boolean | readonly string[] | undefined>;
  body?: unknown;
  /** Schema of the envelope's `data`. */
  schema: z.ZodType<T>;
  softErrors: SoftErrorPolicy;
}

export interface AvinodeResponse<T> {
  status: number;
  data: T;
  /** `meta.warnings`, plus `meta.errors` when the operation's policy is `warn`. */
  warnings: ErrorItem[];
  /** `meta.errors` alone (soft errors: done, but part of the input was invalid). */
  errors: ErrorItem[];
}

interface RawExchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: unknown;
  parseFailed: boolean;
  /** The body went past maxResponseBytes and was not read to the end (json is then undefined). */
  tooLarge: boolean;
  durationMs: number;
}

function header(headers: RawExchange['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Error codes from an error body: envelope `meta.errors[].code`, OAuth `error`, WWW-Authenticate `error=`. */
export function errorCodesOf(json: unknown, wwwAuthenticate?: string): string[] {
  const codes: string[] = [];
  const parsed = Envelope.safeParse(json);
  if (parsed.success) {
    for (const item of parsed.data.meta?.errors ?? []) codes.push(item.code);
    if (parsed.data.error) codes.push(parsed.data.error);
  }
  const challenged = parseWwwAuthenticate(wwwAuthenticate)?.params.error;
  if (challenged && !codes.includes(challenged)) codes.push(challenged);
  return codes.filter((code) => /^[A-Za-z0-9_.-]{1,64}$/.test(code));
}

export function expandRoute(route: string, params: Record<string, string> = {}): string {
  return route.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') throw new TypeError(`missing route parameter ${name} for ${route}`);
    return encodeURIComponent(value);
  });
}

/**
 * The body as text, or undefined once it exceeds `limit` bytes (declared or received): reading
 * stops there and the body is destroyed, so a runaway answer costs at most `limit` bytes of memory.
 */
async function readCapped(
  body: Dispatcher.ResponseData['body'],
  contentLength: string | undefined,
  limit: number,
): Promise<string | undefined> {
  // undici turns destroy() into a RequestAbortedError 'error' event: listen, or it is uncaught.
  const discard = () => body.on('error', () => undefined).destroy();
  if (contentLength !== undefined && Number(contentLength) > limit) {
    discard();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      discard();
      return undefined;
    }
    chunks.push(chunk);
  }
  return new TextDecoder().decode(Buffer.concat(chunks, size));
}

export class AvinodeHttp {
  readonly baseUrl: string;
  readonly origin: string;
  private readonly basePath: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly timeouts: HttpTimeouts;
  private readonly maxResponseBytes: number;
  private readonly now: () => Date;

  constructor(private readonly options: AvinodeHttpOptions) {
    const base = new URL(options.baseUrl);
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.origin = base.origin;
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    if (!(this.maxResponseBytes > 0)) throw new RangeError('maxResponseBytes must be positive');
    this.now = options.now ?? (() => new Date());
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ??
      new Agent({
        connect: { timeout: this.timeouts.connectMs },
        headersTimeout: this.timeouts.headersMs,
        bodyTimeout: this.timeouts.bodyMs,
        keepAliveTimeout: 30_000,
        connections: 32,
      });
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  /**
   * The route of an href that points into our Avinode API (`/rfqs/arfq-1`), or a ForeignHref
   * failure when it points anywhere else. Nothing is sent to a foreign origin.
   */
  pathOfHref(href: string): string {
    let url: URL;
    try {
      url = new URL(href);
    } catch {
      throw failures.foreignHref('refused href: not an absolute URL');
    }
    if (
      url.origin !== this.origin ||
      !(url.pathname === this.basePath || url.pathname.startsWith(`${this.basePath}/`))
    ) {
      this.options.logger?.warn(
        { event: 'avinode_href_refused', origin: url.origin },
        'refused an href outside the Avinode API',
      );
      throw foreignHref(url.origin, this.origin);
    }
    return url.pathname.slice(this.basePath.length) || '/';
  }

  async call<T>(spec: RequestSpec<T>): Promise<AvinodeResponse<T>> {
    const url = new URL(`${this.baseUrl}${expandRoute(spec.route, spec.params)}`);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, item);
      else if (value !== undefined) url.searchParams.set(key, String(value));
    }
    let token = await this.token(spec);
    let exchange = await this.exchange(spec, url, token.value, false);
    const refreshable = this.options.tokenSource.refreshable !== false;
    if (exchange.status === 401 && !this.forbidden(exchange) && refreshable) {
      // invalid_token (expired, revoked, rotated): drop exactly this token, fetch one, replay once.
      this.options.tokenSource.invalidate(token);
      token = await this.token(spec);
      exchange = await this.exchange(spec, url, token.value, true);
    }
    return this.interpret(spec, exchange, refreshable);
  }

  private forbidden(exchange: RawExchange): boolean {
    return errorCodesOf(exchange.json).some((code) => FORBIDDEN_CODES.has(code));
  }

  private async token(spec: RequestSpec<unknown>): Promise<{ value: string }> {
    try {
      return await this.options.tokenSource.getToken({ signal: spec.signal });
    } catch (error) {
      if (spec.signal?.aborted) throw spec.signal.reason ?? error;
      // The token layer throws typed failures (TokenEndpointRejected, RateLimited…): keep them.
      if (error instanceof ApplicationFailure || typeof (error as { type?: unknown })?.type === 'string') throw error;
      throw networkFailure('POST', '/oauth/token', error);
    }
  }

  private headers(token: string, spec: RequestSpec<unknown>): Record<string, string> {
    const actAs = spec.actAsAccount === null ? undefined : (spec.actAsAccount ?? this.options.actAsAccount);
    return {
      authorization: `Bearer ${token}`,
      'x-avinode-apitoken': this.options.apiToken,
      'x-avinode-senttimestamp': this.now().toISOString(),
      'x-avinode-product': this.options.product,
      'x-avinode-apiversion': this.options.apiVersion,
      ...(actAs ? { 'x-avinode-actasaccount': actAs } : {}),
      accept: 'application/json',
      ...(spec.body !== undefined ? { 'content-type': 'application/json' } : {}),
    };
  }

  private async exchange(
    spec: RequestSpec<unknown>,
    url: URL,
    token: string,
    authReplay: boolean,
  ): Promise<RawExchange> {
    const started = performance.now();
    const logFields = {
      event: 'avinode_http',
      method: spec.method,
      route: spec.route,
      attempt: spec.attempt ?? 1,
      authReplay,
    };
    try {
      const response = await request(url, {
        method: spec.method,
        headers: this.headers(token, spec),
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        dispatcher: this.dispatcher,
        signal: spec.signal,
        headersTimeout: this.timeouts.headersMs,
        bodyTimeout: this.timeouts.bodyMs,
      });
      const text = await readCapped(response.body, header(response.headers, 'content-length'), this.maxResponseBytes);
      const tooLarge = text === undefined;
      let json: unknown = undefined;
      let parseFailed = false;
      if (text !== undefined && text.trim() !== '') {
        try {
          json = JSON.parse(text);
        } catch {
          parseFailed = true;
        }
      }
      const durationMs = Math.round(performance.now() - started);
      const codes = response.statusCode >= 400 ? errorCodesOf(json, header(response.headers, 'www-authenticate')) : [];
      const line = {
        ...logFields,
        status: response.statusCode,
        durationMs,
        codes,
        ...(tooLarge ? { responseTooLarge: true, maxResponseBytes: this.maxResponseBytes } : {}),
      };
      if (response.statusCode >= 400 || tooLarge) this.options.logger?.warn(line, 'avinode http');
      else this.options.logger?.info(line, 'avinode http');
      return { status: response.statusCode, headers: response.headers, json, parseFailed, tooLarge, durationMs };
    } catch (error) {
      const durationMs = Math.round(performance.now() - started);
      const failure = networkFailure(spec.method, spec.route, error);
      this.options.logger?.warn(
        { ...logFields, durationMs, codes: (failure.details?.[0] as { codes: string[] }).codes },
        'avinode http failed',
      );
      if (spec.signal?.aborted) throw spec.signal.reason ?? error;
      throw failure;
    }
  }

  private interpret<T>(spec: RequestSpec<T>, exchange: RawExchange, tokenRefreshable: boolean): AvinodeResponse<T> {
    const { status } = exchange;
    if (status < 200 || status >= 300) {
      throw httpStatusFailure({
        method: spec.method,
        route: spec.route,
        status,
        tokenRefreshable,
        codes: errorCodesOf(exchange.json, header(exchange.headers, 'www-authenticate')),
        retryAfter: header(exchange.headers, 'retry-after') ?? null,
      });
    }
    if (exchange.tooLarge) throw responseTooLarge(spec.method, spec.route, status, this.maxResponseBytes);
    if (exchange.parseFailed) {
      throw contractViolation(spec.method, spec.route, status, [{ path: [], code: 'not_json' }]);
    }
    const envelope = Envelope.safeParse(exchange.json ?? {});
    if (!envelope.success) throw contractViolation(spec.method, spec.route, status, envelope.error.issues);
    const meta = envelope.data.meta ?? { errors: [], warnings: [], infos: [] };
    if (meta.errors.length > 0 && spec.softErrors === 'fail') {
      throw softErrorFailure(
        spec.method,
        spec.route,
        status,
        meta.errors.map((item) => item.code),
      );
    }
    const data = spec.schema.safeParse(envelope.data.data);
    if (!data.success) throw contractViolation(spec.method, spec.route, status, data.error.issues);
    return { status, data: data.data, warnings: [...meta.errors, ...meta.warnings], errors: meta.errors };
  }
}
