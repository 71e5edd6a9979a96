// Small HTTP toolkit on node:http: replies as values, the Avinode envelope, body parsing, routing.
import type { IncomingMessage } from 'node:http';

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings as-is (set content-type yourself); undefined = empty body. */
  body?: unknown;
}

/** Thrown anywhere inside a handler to answer with this reply instead of a 500. */
export class ReplyError extends Error {
  constructor(readonly reply: Reply) {
    super(`reply ${reply.status}`);
  }
}

export interface EnvelopeError {
  title: string;
  code: string;
  path?: string;
}

export const emptyMeta = () => ({ errors: [] as EnvelopeError[], warnings: [] as unknown[], infos: [] as unknown[] });

export function ok(data: unknown, status = 200, headers?: Record<string, string>): Reply {
  return { status, body: { meta: emptyMeta(), data }, ...(headers ? { headers } : {}) };
}

/** A hard error: the envelope with no `data`, as Avinode answers. */
export function fail(
  status: number,
  code: string,
  title: string,
  path?: string,
  headers?: Record<string, string>,
): Reply {
  const error: EnvelopeError = path === undefined ? { title, code } : { title, code, path };
  return { status, body: { meta: { ...emptyMeta(), errors: [error] } }, ...(headers ? { headers } : {}) };
}

export const notFound = () => fail(404, 'NOT_FOUND', 'Not found');

export const INTERNAL_CRITICAL_TITLE =
  'Unfortunately the application has experienced an error. Please try again later or contact us.';
export const internalCritical = () => fail(500, 'ERR_INTERNAL_CRITICAL', INTERNAL_CRITICAL_TITLE);

export function oauthError(
  status: number,
  error: string,
  description: string,
  extra?: Record<string, unknown>,
  headers?: Record<string, string>,
): Reply {
  return {
    status,
    headers: { 'cache-control': 'no-store', ...headers },
    body: { error, error_description: description, ...extra },
  };
}

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`body larger than ${limit} bytes`);
  }
}

/**
 * Reads the whole body. Past `limit` it keeps draining (up to `drainLimit`) and then rejects, so the
 * 413 answer reaches a client that is still sending instead of a reset connection.
 */
export function readBody(req: IncomingMessage, limit: number, drainLimit = limit * 64): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length']) > limit;
    let settled = false;
    const settle = (run: () => void) => {
      if (!settled) {
        settled = true;
        run();
      }
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (size > drainLimit) {
        settle(() => reject(new BodyTooLargeError(limit)));
        req.destroy();
        return;
      }
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () =>
      settle(() => (tooLarge ? reject(new BodyTooLargeError(limit)) : resolve(Buffer.concat(chunks)))),
    );
    req.on('error', (error) => settle(() => reject(error)));
    req.on('close', () => settle(() => reject(new Error('request aborted'))));
  });
}

export interface RequestContext {
  method: string;
  /** Route template, e.g. `GET /api/trips/:id`; `UNMATCHED` when no route matched. */
  route: string;
  url: URL;
  params: Record<string, string>;
  headers: IncomingMessage['headers'];
  rawBody: Buffer;
  /** Emulator time in ms (the injectable clock plus any admin offset). */
  now: number;
  /** Set by a short_tokens fault: the most a token issued by this request may live. */
  tokenLifetimeCapSeconds?: number;
}

export function header(ctx: Pick<RequestContext, 'headers'>, name: string): string | undefined {
  const value = ctx.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function contentTypeIs(ctx: Pick<RequestContext, 'headers'>, mediaType: string): boolean {
  const value = header(ctx, 'content-type');
  return value !== undefined && value.split(';')[0]!.trim().toLowerCase() === mediaType;
}

/** Parses the body as JSON; malformed or empty input becomes a 400 envelope. */
export function jsonBody(ctx: RequestContext, { optional = false } = {}): unknown {
  const text = ctx.rawBody.toString('utf8').trim();
  if (text === '') {
    if (optional) return {};
    throw new ReplyError(fail(400, 'ERR_INPUT_MISSING', 'A JSON request body is required'));
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ReplyError(fail(400, 'ERR_INPUT_GENERIC_INVALID', 'The request body is not valid JSON'));
  }
}

export function jsonObject(ctx: RequestContext, options?: { optional?: boolean }): Record<string, unknown> {
  const value = jsonBody(ctx, options);
  if (!isRecord(value))
    throw new ReplyError(fail(400, 'ERR_INPUT_GENERIC_INVALID', 'The request body must be a JSON object'));
  return value;
}

export function formBody(ctx: RequestContext): URLSearchParams {
  return new URLSearchParams(ctx.rawBody.toString('utf8'));
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export type Handler = (ctx: RequestContext) => Reply | Promise<Reply>;

interface Route {
  method: string;
  template: string;
  segments: string[];
  handler: Handler;
}

/** Exact-segment router; `:name` captures one segment. First match wins, in registration order. */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, template: string, handler: Handler): this {
    this.routes.push({ method, template, segments: template.split('/').filter(Boolean), handler });
    return this;
  }

  match(
    method: string,
    pathname: string,
  ):
    | { route: string; params: Record<string, string>; handler: Handler }
    | { route: string; allowed: string[] }
    | undefined {
    let parts: string[];
    try {
      parts = pathname
        .split('/')
        .filter(Boolean)
        .map((part) => decodeURIComponent(part));
    } catch {
      return undefined;
    }
    const allowed: string[] = [];
    let allowedTemplate = '';
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
        return { route: `${route.method} ${route.template}`, params, handler: route.handler };
      }
      allowed.push(route.method);
      allowedTemplate ||= route.template;
    }
    return allowed.length > 0 ? { route: `${method} ${allowedTemplate}`, allowed } : undefined;
  }
}

function matchSegments(template: string[], parts: string[]): Record<string, string> | undefined {
  if (template.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const t = template[i]!;
    if (t.startsWith(':')) params[t.slice(1)] = parts[i]!;
    else if (t !== parts[i]) return undefined;
  }
  return params;
}

export function htmlEscape(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function html(status: number, page: string): Reply {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8' }, body: page };
}
