// The emulator process state and the request pipeline: route → faults → header checks → handler,
// every answer journaled and counted. Bad input or a failing handler never takes the server down.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LOCAL_AVINODE_DEFAULTS } from '../platform/config.ts';
import { registerAdmin, type AdminTarget } from './admin.ts';
import { AvinodeAuth, randomToken, type EmulatorCredentials } from './avinode-auth.ts';
import { registerAvinodeApi } from './avinode-api.ts';
import { registerDeepLinks } from './deep-link.ts';
import { FaultInjector } from './faults.ts';
import {
  BodyTooLargeError,
  fail,
  notFound,
  readBody,
  ReplyError,
  Router,
  type Reply,
  type RequestContext,
} from './http-kit.ts';
import { describeBody, Journal, newStats, redactHeaders, redactPath, type Stats } from './journal.ts';
import { ActorError, Marketplace, type AutopilotOptions } from './marketplace.ts';
import { DEFAULT_AUTOPILOT, type EmulatorOptions, type EmulatorSettings } from './options.ts';
import { mergePartners, PartnerServers } from './partners.ts';
import { ResourceRenderer } from './resources.ts';
import { SeededRandom } from './rng.ts';
import { MarketStore } from './store.ts';
import { COMPRESSED_WEBHOOK_RETRY, WebhookDispatcher } from './webhooks.ts';

const TOKEN_ROUTES = new Set([
  'POST /api/oauth/token',
  'POST /avionte/authorize/token',
  'POST /avvail/oauth/token',
  'POST /airvantage/api/oauth/token',
]);
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/** The first Monday 06:00 UTC strictly after `after`. */
export function nextScheduledReset(after: number): number {
  const d = new Date(after);
  const candidate = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 6, 0, 0, 0);
  const daysToMonday = (8 - d.getUTCDay()) % 7;
  let at = candidate + daysToMonday * 86_400_000;
  if (at <= after) at += 7 * 86_400_000;
  return at;
}

export class Emulator implements AdminTarget {
  readonly rng: SeededRandom;
  readonly store: MarketStore;
  readonly faults: FaultInjector;
  readonly statsData: Stats;
  readonly journalData: Journal;
  readonly auth: AvinodeAuth;
  readonly partners: PartnerServers;
  readonly webhooks: WebhookDispatcher;
  readonly market: Marketplace;
  readonly router = new Router();
  /** Switches of inferred behaviours, mutable at runtime through `PUT /_emulator/settings`. */
  readonly settings: EmulatorSettings;
  origin = 'http://127.0.0.1';
  private clockOffsetMs = 0;
  private nextResetAt: number | undefined;
  private readonly maxBodyBytes: number;

  constructor(private readonly options: EmulatorOptions) {
    this.rng = new SeededRandom(options.seed ?? 1);
    this.settings = { searchByExternalId: options.searchByExternalId ?? 'on' };
    this.store = new MarketStore(this.rng, options.idOffset ?? 0);
    this.faults = new FaultInjector(this.rng);
    this.faults.set(options.faults ?? []);
    this.statsData = newStats(new Date(this.now()).toISOString());
    this.journalData = new Journal(options.journalSize ?? 2000);
    this.maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    this.auth = new AvinodeAuth(
      resolveCredentials(options.credentials),
      {
        tokenRequestsPerMinute: options.tokenRequestsPerMinute ?? 60,
        clockSkewToleranceMs: options.clockSkewToleranceMs ?? 5 * 60_000,
        audiences: () => [
          `${this.publicOrigin()}/api/oauth/token`,
          this.publicOrigin(),
          `${this.origin}/api/oauth/token`,
          this.origin,
        ],
      },
      this.statsData,
    );
    this.partners = new PartnerServers(mergePartners(options.partners), () => this.publicOrigin(), this.statsData);
    const render = new ResourceRenderer(this.store, () => this.publicOrigin(), {
      inferredShapes: options.inferredShapes ?? true,
    });
    this.webhooks = new WebhookDispatcher(
      this.store,
      this.faults,
      this.statsData,
      options.webhookRetry ?? COMPRESSED_WEBHOOK_RETRY,
      (message, detail) => options.logger?.warn(detail, message),
    );
    this.market = new Marketplace(this.store, render, this.webhooks, this.statsData, this.rng, () => this.now(), {
      ...(options.autopilot ?? { ...DEFAULT_AUTOPILOT, enabled: false }),
    });
    if (options.resetSchedule?.enabled) this.nextResetAt = nextScheduledReset(this.now());

    this.router.add('POST', '/api/oauth/token', (ctx) => {
      this.statsData.tokenRequests.total += 1;
      this.statsData.tokenRequests.byProvider.avinode = (this.statsData.tokenRequests.byProvider.avinode ?? 0) + 1;
      return this.auth.tokenEndpoint(ctx);
    });
    registerAvinodeApi(this.router, {
      store: this.store,
      render,
      market: this.market,
      badAirport: options.badAirport ?? 'soft',
      settings: this.settings,
    });
    this.partners.register(this.router);
    registerDeepLinks(this.router, { store: this.store, market: this.market });
    registerAdmin(this.router, this);
  }

  now(): number {
    return (this.options.now ?? Date.now)() + this.clockOffsetMs;
  }

  publicOrigin(): string {
    return (this.options.publicBaseUrl ?? this.origin).replace(/\/+$/, '');
  }

  // ---- AdminTarget ----

  get credentials(): EmulatorCredentials {
    return { ...this.auth.credentials };
  }

  get autopilot(): AutopilotOptions {
    return this.market.autopilot;
  }

  reset({ wipeCredentials }: { wipeCredentials: boolean }) {
    this.store.wipe();
    this.market.clearSchedule();
    this.webhooks.reset();
    this.auth.revokeAll();
    this.partners.reset();
    this.statsData.resets += 1;
    const resetAt = new Date(this.now()).toISOString();
    if (!wipeCredentials) return { resetAt };
    return { resetAt, credentials: this.updateCredentials({}, { rotate: true, revokeTokens: true }) };
  }

  sendRfqs(atripId: string, operators: number, liftsPerRfq = 1) {
    const rfqs = this.market.sendRfqs(atripId, operators, liftsPerRfq);
    return { rfqIds: rfqs.map((rfq) => rfq.id), liftIds: rfqs.flatMap((rfq) => rfq.liftIds) };
  }

  cancelRfq(arfqId: string, cancellation: { reason?: string; messageToSeller?: string }) {
    const rfq = this.store.rfqs.get(arfqId);
    if (!rfq) throw new ActorError(fail(404, 'NOT_FOUND', 'Not found'));
    this.market.cancelRfq(rfq, cancellation);
    return { rfqId: rfq.id, status: rfq.status };
  }

  respond(arfqId: string, input: Parameters<Marketplace['respond']>[1]) {
    return this.market.respond(arfqId, input);
  }

  reseed(seed: number): void {
    this.rng.reseed(seed);
  }

  journal(filter: Parameters<Journal['list']>[0]) {
    return this.journalData.list(filter);
  }

  clearJournal(): void {
    this.journalData.clear();
  }

  stats() {
    return {
      ...this.statsData,
      now: new Date(this.now()).toISOString(),
      live: {
        trips: this.store.trips.size,
        rfqs: this.store.rfqs.size,
        quotes: this.store.quotes.size,
        messages: this.store.messages.size,
        webhookSettings: this.store.webhookSettings.size,
        activeTokens: this.auth.activeTokenCount(this.now()),
        activeTripsByExternalId: this.activeTripsByExternalId(),
      },
      faults: this.faults.list(),
    };
  }

  webhookDeliveries() {
    return this.webhooks.deliveries();
  }

  /** Trips not cancelled (and not wiped), per externalTripId: a run must end with at most one. */
  private activeTripsByExternalId(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const trip of this.store.trips.values()) {
      if (trip.status === 'Cancelled' || trip.externalTripId === undefined) continue;
      counts[trip.externalTripId] = (counts[trip.externalTripId] ?? 0) + 1;
    }
    return counts;
  }

  revokeTokens(token?: string) {
    if (token !== undefined) return { revoked: this.auth.revoke(token) ? 1 : 0 };
    this.partners.revokeAll();
    return { revoked: this.auth.revokeAll() };
  }

  updateCredentials(
    change: Partial<EmulatorCredentials> & { staticBearerToken?: string | undefined },
    { rotate, revokeTokens }: { rotate: boolean; revokeTokens: boolean },
  ) {
    const next: EmulatorCredentials = { ...this.auth.credentials, ...change };
    if ('staticBearerToken' in change && change.staticBearerToken === undefined) delete next.staticBearerToken;
    if (rotate) {
      next.clientSecret = randomToken(24);
      next.apiToken = randomUUID();
      if (next.staticBearerToken !== undefined) next.staticBearerToken = randomToken(32);
    }
    this.auth.credentials = next;
    if (revokeTokens) this.auth.revokeAll();
    return { ...next };
  }

  clock() {
    return {
      now: new Date(this.now()).toISOString(),
      offsetMs: this.clockOffsetMs,
      ...(this.nextResetAt !== undefined ? { nextScheduledReset: new Date(this.nextResetAt).toISOString() } : {}),
    };
  }

  setClock({ advanceMs, set }: { advanceMs?: number; set?: number }): void {
    if (set !== undefined) this.clockOffsetMs = set - (this.options.now ?? Date.now)();
    if (advanceMs !== undefined) this.clockOffsetMs += advanceMs;
    this.runScheduledReset();
  }

  // ---- request handling ----

  /** The weekly wipe is checked on every request (and by a slow timer), so it follows the injectable clock exactly. */
  runScheduledReset(): void {
    if (this.nextResetAt === undefined) return;
    const now = this.now();
    if (now < this.nextResetAt) return;
    this.reset({ wipeCredentials: this.options.resetSchedule?.wipeCredentials === true });
    this.nextResetAt = nextScheduledReset(now);
    this.options.logger?.info(
      { nextScheduledReset: new Date(this.nextResetAt).toISOString() },
      'scheduled sandbox reset done',
    );
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = (req.method ?? 'GET').toUpperCase();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://emulator.invalid');
    } catch {
      url = new URL('http://emulator.invalid/');
    }
    let route = `${method} UNMATCHED`;
    let rawBody: Buffer = Buffer.alloc(0);
    let reply: Reply;
    let faultNote: string | undefined;
    // Aborted when the connection closes before the answer is written (a client that died or gave up).
    const clientGone = new AbortController();
    res.once('close', () => clientGone.abort());
    try {
      this.runScheduledReset();
      rawBody = await readBody(req, this.maxBodyBytes, MAX_DRAIN_BYTES);
      const match = this.router.match(method, url.pathname);
      if (!match) {
        reply = notFound();
      } else if ('allowed' in match) {
        route = match.route;
        reply = fail(405, 'METHOD_NOT_ALLOWED', `Method ${method} is not allowed here`, undefined, {
          allow: match.allowed.join(', '),
        });
      } else {
        route = match.route;
        const ctx: RequestContext = {
          method,
          route,
          url,
          params: match.params,
          headers: req.headers,
          rawBody,
          now: this.now(),
        };
        reply = await this.dispatch(ctx, match.handler, (note) => (faultNote = note), clientGone.signal);
      }
    } catch (error) {
      if (error instanceof ReplyError) reply = error.reply;
      else if (error instanceof BodyTooLargeError)
        reply = fail(413, 'ERR_INPUT_TOO_LARGE', `The request body exceeds ${error.limit} bytes`);
      else {
        this.options.logger?.error(
          { route, err: error instanceof Error ? { name: error.name, message: error.message } : String(error) },
          'emulator handler failed',
        );
        reply = fail(500, 'ERR_INTERNAL_SERVER_ERROR', 'The emulator failed to handle this request');
      }
    }
    const gone = clientGone.signal.aborted;
    // The Date header follows the emulator clock, so clock-skew diagnostics can be tested with it.
    const sent = send(
      res,
      { ...reply, headers: { date: new Date(this.now()).toUTCString(), ...reply.headers } },
      method === 'HEAD',
    );
    this.record(route, method, url, req, rawBody, reply, sent, performance.now() - started, faultNote, gone);
  }

  private async dispatch(
    ctx: RequestContext,
    handler: (ctx: RequestContext) => Reply | Promise<Reply>,
    noteFault: (note: string) => void,
    clientGone: AbortSignal,
  ): Promise<Reply> {
    if (ctx.route.includes(' /_emulator/')) return this.authorizedHandler(ctx, handler);
    const faults = this.faults.forRequest(ctx.route, TOKEN_ROUTES.has(ctx.route));
    if (faults.fired.length > 0) {
      noteFault(faults.fired.join(','));
      for (const kind of faults.fired)
        this.statsData.faultsInjected[kind] = (this.statsData.faultsInjected[kind] ?? 0) + 1;
    }
    if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    if (faults.revokeTokens) this.revokeTokens();
    let reply: Reply;
    if (faults.reply) {
      reply = faults.reply;
    } else {
      if (faults.tokenLifetimeSeconds !== undefined) ctx.tokenLifetimeCapSeconds = faults.tokenLifetimeSeconds;
      reply = await this.authorizedHandler(ctx, handler);
      if (faults.softError) reply = withSoftError(reply);
    }
    // delay_response: the call has had its effect (a POST stored its trip); only the answer waits.
    if (faults.delayResponseMs > 0) await holdUnlessGone(faults.delayResponseMs, clientGone);
    return reply;
  }

  private async authorizedHandler(
    ctx: RequestContext,
    handler: (ctx: RequestContext) => Reply | Promise<Reply>,
  ): Promise<Reply> {
    if (ctx.route.includes(' /api/') && !TOKEN_ROUTES.has(ctx.route)) {
      const rejected = this.auth.checkApiRequest({ ...ctx, now: this.now() });
      if (rejected) return rejected;
    }
    return handler(ctx);
  }

  private record(
    route: string,
    method: string,
    url: URL,
    req: IncomingMessage,
    rawBody: Buffer,
    reply: Reply,
    sent: { text?: string; contentType?: string },
    durationMs: number,
    fault: string | undefined,
    clientGone: boolean,
  ): void {
    const stats = this.statsData;
    stats.requests += 1;
    stats.requestsByRoute[route] = (stats.requestsByRoute[route] ?? 0) + 1;
    stats.responsesByStatus[String(reply.status)] = (stats.responsesByStatus[String(reply.status)] ?? 0) + 1;
    this.options.logger?.debug?.(
      { method, route, status: reply.status, durationMs: Math.round(durationMs), ...(fault ? { fault } : {}) },
      'request',
    );
    if (route === 'GET /_emulator/requests') return;
    this.journalData.add({
      at: new Date(this.now()).toISOString(),
      method,
      route,
      path: redactPath(`${url.pathname}${url.search}`),
      status: reply.status,
      durationMs: Math.round(durationMs * 10) / 10,
      requestHeaders: redactHeaders(req.headers),
      ...(rawBody.length > 0
        ? {
            requestBody:
              rawBody.length > 65_536
                ? `[${rawBody.length} bytes]`
                : describeBody(rawBody, req.headers['content-type']),
          }
        : {}),
      ...(sent.text ? { responseBody: describeBody(sent.text, sent.contentType) } : {}),
      ...(fault ? { fault } : {}),
      ...(clientGone ? { clientGone: true } : {}),
    });
  }
}

/** Waits `ms`, or less when the client closes the connection (nobody is left to answer; emulator close releases it too). */
function holdUnlessGone(ms: number, clientGone: AbortSignal): Promise<void> {
  if (clientGone.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      clientGone.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    clientGone.addEventListener('abort', done, { once: true });
  });
}

/** Avinode's "soft error": the operation succeeded but part of the input was invalid (HTTP 200). */
function withSoftError(reply: Reply): Reply {
  const body = reply.body as { meta?: { errors?: unknown[] } } | undefined;
  if (reply.status >= 300 || !body?.meta?.errors) return reply;
  return {
    ...reply,
    body: {
      ...body,
      meta: {
        ...body.meta,
        errors: [
          ...body.meta.errors,
          { title: 'The start airport is invalid', code: 'START_AIRPORT_INVALID', path: 'segments[0].startAirport' },
        ],
      },
    },
  };
}

function send(res: ServerResponse, reply: Reply, headOnly: boolean): { text?: string; contentType?: string } {
  const headers: Record<string, string> = { ...reply.headers };
  let text: string | undefined;
  if (typeof reply.body === 'string') {
    text = reply.body;
  } else if (reply.body !== undefined) {
    text = JSON.stringify(reply.body);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  if (text !== undefined) headers['content-length'] = String(Buffer.byteLength(text));
  else headers['content-length'] = '0';
  if (!res.headersSent && !res.destroyed) {
    res.writeHead(reply.status, headers);
    res.end(headOnly ? undefined : text);
  }
  return {
    ...(text !== undefined ? { text } : {}),
    ...(headers['content-type'] ? { contentType: headers['content-type'] } : {}),
  };
}

function resolveCredentials(partial: Partial<EmulatorCredentials> | undefined): EmulatorCredentials {
  const credentials: EmulatorCredentials = {
    clientId: partial?.clientId ?? LOCAL_AVINODE_DEFAULTS.AVINODE_CLIENT_ID,
    clientSecret: partial?.clientSecret ?? LOCAL_AVINODE_DEFAULTS.AVINODE_CLIENT_SECRET,
    authMethod: partial?.authMethod ?? LOCAL_AVINODE_DEFAULTS.AVINODE_CLIENT_AUTH_METHOD,
    apiToken: partial?.apiToken ?? LOCAL_AVINODE_DEFAULTS.AVINODE_API_TOKEN,
  };
  if (partial?.staticBearerToken) credentials.staticBearerToken = partial.staticBearerToken;
  if (partial?.oauthEnabled === false) credentials.oauthEnabled = false;
  return credentials;
}
