// `charterflow webhooks`: receives Avinode webhooks and hands each one durably to Temporal.
// The receiver finds the event's trip run itself (workers/webhook-trips.ts) and signals it: 200
// only after the signal is in the run's history; 503 when Temporal or Avinode cannot be reached, so
// Avinode redelivers (it retries for 48 h). Events about trips no charterflow run carries are
// recorded once (a warning in the log) and acknowledged. No routing workflow is started any more
// (avinodeEventWorkflow stays registered on the worker so runs already in flight finish).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  Client,
  Connection,
  isGrpcServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { z } from 'zod';
import { createAvinodeTokenSource } from '../activities/auth/index.ts';
import { createAvinodeClient } from '../activities/avinode/client.ts';
import {
  avinodeEvent,
  FailureType,
  unknownEventWorkflowIdOf,
  WEBHOOK_EVENT_TYPES,
  type AvinodeEvent,
  type UnknownAvinodeEvent,
  type WebhookEventType,
} from '../workflows/contract.ts';
import { failures, isTyped } from '../workflows/failures.ts';
import { loadConfig, type Config } from '../platform/config.ts';
import { createLogger, redactError, type Logger } from '../platform/logging.ts';
import { payloadCodecsFor } from '../platform/payload-codec.ts';
import { temporalConnectionOptions } from '../platform/temporal-connection.ts';
import type { unknownAvinodeEventWorkflow } from '../workflows/unknown-event.ts';
import { BoundedMap, ReadBudget, runFinderOf, TripResolver, type TripReader } from './webhook-trips.ts';

const HANDOFF_TIMEOUT_MS = 5_000;

export const WebhookPayload = z.object({
  id: z
    .string()
    .regex(/^a[a-z]+-[A-Za-z0-9-]+$/, 'expected a prefixed Avinode id such as arfq-… or asellermsg-…')
    .max(200),
  href: z.url({ protocol: /^https?$/ }).max(2_000),
  type: z.string().min(1).max(50),
  tripId: z
    .string()
    .regex(/^[A-Za-z0-9]{1,20}$/)
    .optional(),
});

/** What the receiver needs of Temporal: a trip run's signal, and a list call on a cold cache. Tests pass a fake. */
export interface TripSignaller {
  workflow: Pick<Client['workflow'], 'getHandle' | 'list' | 'start'>;
}

/** Reads per second the receiver may make to Avinode when the configuration does not say. */
export const DEFAULT_RECEIVER_AVINODE_READS_PER_SECOND = 5;

export interface WebhookServerOptions {
  config: Readonly<Config>;
  client: TripSignaller;
  logger: Logger;
  /** The Avinode reads that find a chat's or seller response's trip; default a client from config.avinode. */
  avinode?: TripReader;
  /** The receiver's Avinode read budget (default config.webhooks.avinodeReadsPerSecond, else 5/s). */
  avinodeReadsPerSecond?: number;
  port?: number;
  host?: string;
  /** How long the durable hand-off may take before answering 503 (default 5 s; tests shorten it). */
  handoffTimeoutMs?: number;
  /** Slow-client limits (slowloris): defaults in RECEIVER_LIMITS; tests shorten them. */
  limits?: Partial<ReceiverLimits>;
}

export interface ReceiverLimits {
  /** All request headers must arrive within this (node's headersTimeout); then 408 and close. */
  headersTimeoutMs: number;
  /** The whole request, body included (node's requestTimeout); then 408 and close. */
  requestTimeoutMs: number;
  /** How often node checks the two above (connectionsCheckingInterval). */
  timeoutCheckIntervalMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Request line plus headers, in bytes (beyond: 431). */
  maxHeaderBytes: number;
}

/** Avinode sends a few hundred bytes at once; anything slower than this is not Avinode. */
export const RECEIVER_LIMITS: ReceiverLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 20_000,
  timeoutCheckIntervalMs: 1_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderBytes: 16_384,
};

export interface RunningWebhookServer {
  url: string;
  /** What the receiver did so far (the benchmark and tests read it). */
  stats(): ReceiverStats;
  close(): Promise<void>;
}

export interface ReceiverStats {
  signalled: number;
  redeliveries: number;
  unknownTrips: number;
  notRunning: number;
  avinodeReads: number;
}

/** A message notification names one message for ever; TripRequest-family ids (RFQs) are re-sent on updates. */
const isMessageEvent = (event: AvinodeEvent) => /\/tripmsgs\/[^/?#]+$/.test(new URL(event.href).pathname);

// Per-process key: both sides are MAC'd first, so timingSafeEqual always compares 32 bytes and
// neither the length nor any prefix of the expected secret shows in the timing.
const COMPARE_KEY = randomBytes(32);
const digestOf = (text: string) => createHmac('sha256', COMPARE_KEY).update(text, 'utf8').digest();

export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digestOf(given), digestOf(expected));
}

/** HTTP Basic against the configured pair, in constant time; both parts are always compared. */
export function authorized(
  header: string | undefined,
  expected: Pick<Config['webhooks'], 'username' | 'password'>,
): boolean {
  const match = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header ?? '');
  const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  const userOk = sameSecret(colon < 0 ? '' : decoded.slice(0, colon), expected.username);
  const passOk = sameSecret(colon < 0 ? '' : decoded.slice(colon + 1), expected.password);
  return match !== null && colon >= 0 && userOk && passOk;
}

/** `application/json`, optionally with `charset=utf-8`; any other media type or charset is refused. */
export function isJsonContentType(header: string | undefined): boolean {
  const [type = '', ...parameters] = (header ?? '').split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return parameters.every((parameter) => parameter === '' || /^charset="?utf-8"?$/.test(parameter));
}

function reply(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The client went away (or node's request timeout cut it off) before the body was complete. */
const CLIENT_GONE = Symbol('client gone');

/**
 * The body as text, or undefined once it passes `limit` bytes. Reading then stops and the rest is
 * discarded (not buffered) while the 413 goes out; the connection is closed after it.
 */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined | typeof CLIENT_GONE> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.resume();
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', () => resolve(CLIENT_GONE));
    req.once('close', () => resolve(CLIENT_GONE)); // no-op once 'end' has resolved
  });
}

/** The hand-off took longer than handoffTimeoutMs. */
class HandoffTimeout extends Error {
  override name = 'HandoffTimeout';
}

/** gRPC answers that mean "not now" rather than "never": Temporal down, too slow, or shedding load. */
const UNREACHABLE_STATUSES: ReadonlySet<number> = new Set([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.RESOURCE_EXHAUSTED,
]);
/** Failure types of an Avinode read that a later delivery may not meet (workflows/failures.ts). */
const TRANSIENT_FAILURES = [FailureType.Unavailable, FailureType.RateLimited] as const;

/**
 * Whether a failed hand-off should be redelivered later (503): our own timeout, a gRPC status of
 * UNREACHABLE_STATUSES (found with the SDK's isGrpcServiceError on the error or its causes: the
 * client wraps gRPC errors in a ServiceError), or an Avinode read failing with a transient type.
 * Anything else (a missing namespace, a bad request) is a 500. No error text is read.
 */
export function isTemporalUnreachable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof HandoffTimeout) return true;
    if (current instanceof WorkflowExecutionAlreadyStartedError) return false;
    if (isGrpcServiceError(current)) return UNREACHABLE_STATUSES.has(current.code);
    if (isTyped(current, ...TRANSIENT_FAILURES)) return true;
    current = current.cause;
  }
  return false;
}

function defaultAvinodeReader(
  config: Readonly<Config>,
  logger: Logger,
): (TripReader & { close(): Promise<void> }) | undefined {
  if (!config.avinode.baseUrl) return undefined;
  const tokenSource = createAvinodeTokenSource(config.avinode, { logger, timeoutMs: config.avinode.httpTimeoutMs });
  return createAvinodeClient({
    baseUrl: config.avinode.baseUrl,
    apiToken: config.avinode.apiToken,
    product: config.avinode.product,
    apiVersion: config.avinode.apiVersion,
    ...(config.avinode.actAsAccount ? { actAsAccount: config.avinode.actAsAccount } : {}),
    tokenSource,
    logger,
    timeouts: { headersMs: config.avinode.httpTimeoutMs, bodyMs: config.avinode.httpTimeoutMs },
  });
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<RunningWebhookServer> {
  const { config, client, logger } = options;
  const ownedAvinode = options.avinode ? undefined : defaultAvinodeReader(config, logger);
  const avinode = options.avinode ?? ownedAvinode;
  const readsPerSecond = options.avinodeReadsPerSecond ?? config.webhooks.avinodeReadsPerSecond;
  const resolver = avinode
    ? new TripResolver({ avinode, findRun: runFinderOf(client), budget: new ReadBudget(readsPerSecond) })
    : undefined;
  /** Message events already handed to their run: a redelivery is answered without a read or a signal. */
  const delivered = new BoundedMap<string, string>(50_000);
  /** Unknown-trip events already recorded: a redelivery is acknowledged, not recorded again. */
  const recorded = new BoundedMap<string, true>(10_000);
  const stats: ReceiverStats = { signalled: 0, redeliveries: 0, unknownTrips: 0, notRunning: 0, avinodeReads: 0 };
  const api = config.avinode.baseUrl ? new URL(config.avinode.baseUrl) : undefined;
  const apiPath = api?.pathname.replace(/\/+$/, '') ?? '';
  /** Same origin and under the API's path: what the activities will agree to fetch (AvinodeHttp.pathOfHref). */
  const insideApi = (href: string) => {
    const url = new URL(href);
    return (
      api !== undefined &&
      url.origin === api.origin &&
      (url.pathname === apiPath || url.pathname.startsWith(`${apiPath}/`))
    );
  };

  /**
   * The durable record of an event no run carries: a workflow that ends at once, one per event type
   * and id (REJECT_DUPLICATE: a second receiver or a restarted one finds it). false = recorded before.
   */
  const recordUnknown = async (unknown: UnknownAvinodeEvent): Promise<boolean> => {
    try {
      await client.workflow.start<typeof unknownAvinodeEventWorkflow>('unknownAvinodeEventWorkflow', {
        workflowId: unknownEventWorkflowIdOf(unknown),
        taskQueue: config.temporal.taskQueue,
        args: [unknown],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: `${unknown.eventType} ${unknown.id}: ${unknown.reason}`,
      });
      return true;
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return false;
      throw error;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // The raw request target, not new URL(): that throws on `//` and would turn a probe into a 500.
    const pathname = (req.url ?? '/').split('?', 1)[0]!;
    const match = /^\/webhooks\/avinode\/([A-Za-z]+)$/.exec(pathname);
    const eventType = match?.[1] as WebhookEventType | undefined;
    if (req.method === 'GET' && pathname === '/healthz') return reply(res, 200, { ok: true });
    if (!eventType || !WEBHOOK_EVENT_TYPES.includes(eventType)) {
      return reply(res, 404, { error: `unknown route; POST /webhooks/avinode/<${WEBHOOK_EVENT_TYPES.join('|')}>` });
    }
    if (req.method !== 'POST') return reply(res, 405, { error: 'only POST' }, { allow: 'POST' });
    if (!authorized(req.headers.authorization, config.webhooks)) {
      logger.warn({ eventType, status: 401 }, 'webhook rejected: bad or missing Basic credentials');
      return reply(
        res,
        401,
        { error: 'unauthorized' },
        { 'www-authenticate': 'Basic realm="charterflow-webhooks"', connection: 'close' },
      );
    }
    if (!isJsonContentType(req.headers['content-type'])) {
      return reply(
        res,
        415,
        { error: 'Content-Type must be application/json (charset utf-8 if any)' },
        { connection: 'close' },
      );
    }
    const text = await readBody(req, config.webhooks.maxBodyBytes);
    if (text === CLIENT_GONE) {
      logger.info({ eventType, status: 0 }, 'webhook abandoned by the client before its body was complete');
      return void res.destroy();
    }
    if (text === undefined)
      return reply(
        res,
        413,
        { error: `body larger than ${config.webhooks.maxBodyBytes} bytes` },
        { connection: 'close' },
      );
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return reply(res, 400, { error: 'body is not JSON' });
    }
    const parsed = WebhookPayload.safeParse(json);
    if (!parsed.success) {
      return reply(res, 422, {
        error: 'invalid payload',
        fields: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`),
      });
    }
    const payload = parsed.data;
    if (!insideApi(payload.href)) {
      // Untrusted input: an href elsewhere is never followed (our credentials would go with it).
      logger.warn(
        { eventType, id: payload.id, status: 422 },
        'webhook refused: href outside the configured Avinode API',
      );
      return reply(res, 422, { error: 'href is not under the configured Avinode API (origin and path); refused' });
    }
    const event: AvinodeEvent = {
      eventType,
      id: payload.id,
      href: payload.href,
      ...(payload.tripId ? { tripId: payload.tripId } : {}),
    };
    const key = `${eventType}/${payload.id}`;
    const started = performance.now();
    const handoffMs = options.handoffTimeoutMs ?? HANDOFF_TIMEOUT_MS;
    const deadline = started + handoffMs;
    const messageEvent = isMessageEvent(event);
    const seen = messageEvent ? delivered.get(key) : undefined;
    if (seen) {
      // The run has this message already (the signal is in its history): a redelivery needs nothing more.
      stats.redeliveries++;
      logger.info(
        { eventType, id: payload.id, workflowId: seen, status: 200 },
        'webhook redelivery; already handed off',
      );
      return reply(res, 200, { ok: true, workflowId: seen });
    }
    let workflowId: string | undefined;
    try {
      if (!resolver) throw failures.unavailable('no Avinode API configured to read the event with');
      const trip = await withTimeout(resolver.resolve(event, deadline), Math.max(1, deadline - performance.now()));
      stats.avinodeReads = resolver.reads;
      if (trip.outcome === 'unknown_trip') {
        if (!recorded.has(key)) {
          const tripId = trip.tripId ?? payload.tripId;
          const unknown: UnknownAvinodeEvent = {
            eventType,
            id: payload.id,
            href: payload.href,
            reason: trip.reason,
            ...(tripId ? { tripId } : {}),
            ...(trip.atripId ? { atripId: trip.atripId } : {}),
            receivedAt: new Date().toISOString(),
          };
          const fresh = await withTimeout(recordUnknown(unknown), Math.max(1, deadline - performance.now()));
          recorded.set(key, true);
          if (fresh) stats.unknownTrips++;
          logger.warn(
            {
              eventType,
              id: payload.id,
              tripId,
              atripId: trip.atripId,
              reason: trip.reason,
              outcome: 'unknown_trip',
              record: unknownEventWorkflowIdOf(unknown),
              status: 200,
            },
            fresh
              ? 'webhook for a trip no charterflow run carries; recorded and acknowledged'
              : 'webhook for a trip no charterflow run carries; recorded before, acknowledged',
          );
        }
        return reply(res, 200, { ok: true, outcome: 'unknown_trip' });
      }
      workflowId = trip.workflowId;
      const signalled: AvinodeEvent = {
        ...event,
        ...(trip.tripId ? { tripId: trip.tripId } : {}),
        ...(trip.atripId ? { atripId: trip.atripId } : {}),
        ...(trip.message ? { message: trip.message } : {}),
      };
      await withTimeout(
        client.workflow.getHandle(workflowId).signal(avinodeEvent, signalled),
        Math.max(1, deadline - performance.now()),
      );
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        // The run has ended (or never existed under that id): nothing to hand the event to.
        if (!recorded.has(key)) {
          recorded.set(key, true);
          stats.notRunning++;
          logger.warn(
            { eventType, id: payload.id, workflowId, outcome: 'not_running', status: 200 },
            'webhook for a trip run that is not running; recorded and acknowledged',
          );
        }
        return reply(res, 200, { ok: true, outcome: 'not_running', workflowId });
      }
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
        const unreachable = isTemporalUnreachable(error);
        logger.error(
          { eventType, id: payload.id, err: redactError(error), status: unreachable ? 503 : 500 },
          'webhook hand-off failed',
        );
        return reply(
          res,
          unreachable ? 503 : 500,
          { error: unreachable ? 'Temporal unreachable; redeliver later' : 'hand-off failed' },
          unreachable ? { 'retry-after': '30' } : {},
        );
      }
    }
    stats.signalled++;
    if (messageEvent) delivered.set(key, workflowId!);
    logger.info(
      {
        eventType,
        id: payload.id,
        tripId: payload.tripId,
        workflowId,
        durationMs: Math.round(performance.now() - started),
        status: 200,
      },
      'webhook handed off',
    );
    return reply(res, 200, { ok: true, workflowId });
  };

  const limits = { ...RECEIVER_LIMITS, ...options.limits };
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      maxHeaderSize: limits.maxHeaderBytes,
    },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        logger.error({ err: redactError(error) }, 'webhook handler crashed');
        if (!res.headersSent) reply(res, 500, { error: 'internal error' });
        else res.end();
      });
    },
  );
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.webhooks.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    stats: () => ({ ...stats, avinodeReads: resolver?.reads ?? 0 }),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await ownedAvinode?.close();
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HandoffTimeout(`Temporal did not answer within ${ms} ms (deadline)`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export async function runWebhooksCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { help: { type: 'boolean', short: 'h' }, port: { type: 'string' }, host: { type: 'string' } },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: charterflow webhooks [--port N] [--host H]\n\nServes POST /webhooks/avinode/<EventType> (HTTP Basic: WEBHOOK_USERNAME/WEBHOOK_PASSWORD) on WEBHOOK_PORT.\n--host defaults to 127.0.0.1 (use 0.0.0.0 inside a container).\n',
    );
    return 0;
  }
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'charterflow-webhooks' });
  const connection = await Connection.connect({
    ...temporalConnectionOptions(config.temporal),
    connectTimeout: 10_000,
  });
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: { payloadCodecs: payloadCodecsFor(config.payloadEncryption) },
  });
  const port = values.port !== undefined ? Number(values.port) : config.webhooks.port;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port: expected 0-65535`);
  const server = await startWebhookServer({
    config,
    client,
    logger,
    port,
    ...(values.host ? { host: values.host } : {}),
  });
  process.stdout.write(`${JSON.stringify({ event: 'listening', service: 'webhooks', url: server.url })}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  await connection.close();
  return 0;
}
