// The webhook receiver over real HTTP on port 0, with a fake Temporal client recording signals and a fake Avinode.
import { connect, createServer, type AddressInfo } from 'node:net';
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import {
  Client,
  Connection,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../platform/config.ts';
import { createLogger } from '../../../platform/logging.ts';
import {
  authorized,
  isJsonContentType,
  isTemporalUnreachable,
  sameSecret,
  startWebhookServer,
  type RunningWebhookServer,
  type TripSignaller,
} from '../../../workers/webhook-server.ts';
import type { TripReader } from '../../../workers/webhook-trips.ts';
import { FailureType, type AvinodeEvent } from '../../../workflows/contract.ts';
import { failures, networkFailure } from '../../../workflows/failures.ts';

/** What the Temporal client throws for a gRPC status: a ServiceError caused by the grpc-js error. */
function grpcFailure(code: GrpcStatus, details: string): ServiceError {
  const cause = Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });
  return new ServiceError('Failed to signal Workflow', { cause });
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const PASSWORD = 'hook-pass-4c9e2a71';
const USERNAME = 'avinode-hooks';
const config = loadConfig({
  AVINODE_BASE_URL: 'http://127.0.0.1:9/api',
  AVINODE_API_TOKEN: 'api-token-0b1c',
  AVINODE_CLIENT_ID: 'client-id-x',
  AVINODE_CLIENT_SECRET: 'client-secret-y',
  AVINODE_CLIENT_AUTH_METHOD: 'client_secret_post',
  WEBHOOK_USERNAME: USERNAME,
  WEBHOOK_PASSWORD: PASSWORD,
  WEBHOOK_MAX_BODY_BYTES: '1024',
  TEMPORAL_TASK_QUEUE: 'hooks-test-queue',
});

type SignalCall = { workflowId: string; signal: string; event: AvinodeEvent };
type SignalBehaviour = (call: SignalCall) => Promise<unknown>;

type StartCall = { workflowType: string; workflowId: string; taskQueue: string; reusePolicy: string; record: unknown };

interface Harness {
  server: RunningWebhookServer;
  calls: SignalCall[];
  /** Records of unknown-trip events started (accepted by the fake server). */
  starts: StartCall[];
  /** Visibility lookups (cold cache) and Avinode reads the receiver made. */
  lookups: string[];
  reads: string[];
  logs: string[];
  /** Resolves when the fake's signal promise has settled (the receiver may answer only after that). */
  settled: boolean[];
}

let running: RunningWebhookServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** Runs by short trip id (what the AvinodeTripId search attribute finds). */
const RUNS: Record<string, string> = { Q4K7ZP: 'trip-REQ-1042' };
const API = 'http://127.0.0.1:9/api';

/** A fake Avinode: seller messages on RFQ arfq-12345678 of trip atrip-1 (Q4K7ZP, run trip-REQ-1042); atrip-2 is someone else's. */
const fakeAvinode = (reads: string[], failure?: Error): TripReader => ({
  readByHref: async (href: string) => {
    reads.push(href);
    if (failure) throw failure;
    const id = href.split('/').pop()!;
    if (!id.startsWith('asellermsg-')) throw Object.assign(new Error('not found'), { type: FailureType.NotFound });
    const foreign = id.endsWith('9');
    // …7: the documented message shape, naming its RFQ only.
    const documented = id.endsWith('7');
    return {
      type: 'tripmsgs',
      value: {
        message: {
          messageId: id,
          direction: 'received',
          operator: 'Example Air',
          text: 'Can do, crew rest permitting.',
          rfqId: foreign ? 'arfq-99' : documented ? 'arfq-77' : 'arfq-12345678',
        },
        raw: documented
          ? { id }
          : { id, trip: foreign ? { id: 'atrip-2', tripId: 'ZZ9ZZ9' } : { id: 'atrip-1', tripId: 'Q4K7ZP' } },
      },
    } as never;
  },
  readRfq: async (id: string) => {
    reads.push(id);
    if (id === 'arfq-77') return { raw: { id, tripId: 'Q4K7ZP' } } as never;
    throw Object.assign(new Error('not found'), { type: FailureType.NotFound });
  },
  readTrip: async (atripId: string) => {
    reads.push(atripId);
    return {
      trip: {
        id: atripId,
        tripId: atripId === 'atrip-2' ? 'ZZ9ZZ9' : 'Q4K7ZP',
        externalTripId: atripId === 'atrip-2' ? 'their-own-id' : 'trip-REQ-1042',
      },
    } as never;
  },
});

/** Workflow ids the fake Temporal server holds, shared by every harness (another receiver sees them). */
let serverWorkflowIds = new Set<string>();
beforeEach(() => {
  serverWorkflowIds = new Set();
});

async function harness(
  behaviour: SignalBehaviour = async () => undefined,
  handoffTimeoutMs?: number,
  avinodeFailure?: Error,
  startFailure?: Error,
): Promise<Harness> {
  const calls: SignalCall[] = [];
  const starts: StartCall[] = [];
  const lookups: string[] = [];
  const reads: string[] = [];
  const logs: string[] = [];
  const settled: boolean[] = [];
  const client = {
    workflow: {
      getHandle: (workflowId: string) => ({
        signal: async (signal: { name: string }, event: AvinodeEvent) => {
          const call = { workflowId, signal: signal.name, event };
          calls.push(call);
          const index = settled.push(false) - 1;
          try {
            return await behaviour(call);
          } finally {
            settled[index] = true;
          }
        },
      }),
      start: async (
        workflowType: string,
        options: { workflowId: string; taskQueue: string; workflowIdReusePolicy: string; args: unknown[] },
      ) => {
        if (startFailure) throw startFailure;
        if (serverWorkflowIds.has(options.workflowId))
          throw new WorkflowExecutionAlreadyStartedError('already started', options.workflowId, workflowType);
        serverWorkflowIds.add(options.workflowId);
        starts.push({
          workflowType,
          workflowId: options.workflowId,
          taskQueue: options.taskQueue,
          reusePolicy: options.workflowIdReusePolicy,
          record: options.args[0],
        });
      },
      list: ({ query }: { query: string }) => {
        lookups.push(query);
        const tripId = /AvinodeTripId = '([^']+)'/.exec(query)?.[1] ?? '';
        return (async function* () {
          if (RUNS[tripId]) yield { workflowId: RUNS[tripId] };
        })();
      },
    },
  } as unknown as TripSignaller;
  const logger = createLogger({ level: 'trace', destination: { write: (line: string) => void logs.push(line) } });
  const server = await startWebhookServer({
    config,
    client,
    logger,
    port: 0,
    avinode: fakeAvinode(reads, avinodeFailure),
    ...(handoffTimeoutMs ? { handoffTimeoutMs } : {}),
  });
  running = server;
  return { server, calls, starts, lookups, reads, logs, settled };
}

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const goodAuth = basic(USERNAME, PASSWORD);
const goodPayload = {
  id: 'arfq-12345678',
  href: 'http://127.0.0.1:9/api/rfqs/arfq-12345678',
  type: 'rfqs',
  tripId: 'Q4K7ZP',
};

async function post(
  server: RunningWebhookServer,
  body: unknown,
  {
    path = '/webhooks/avinode/TripRequestSellerResponse',
    auth = goodAuth as string | null,
    contentType = 'application/json',
  } = {},
) {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (auth !== null) headers.authorization = auth;
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: (text ? JSON.parse(text) : undefined) as Record<string, unknown>,
  };
}

describe('webhook receiver', () => {
  it('answers 200 only after the signal to the trip run resolved, finding the run once by its Avinode trip', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const h = await harness(async () => {
      await gate;
    });
    const pending = post(h.server, goodPayload);
    const deadline = Date.now() + 5_000;
    while (h.calls.length === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(h.calls).toHaveLength(1);
    let answered = false;
    void pending.then(() => (answered = true));
    // A full round trip through the same server: had it answered early, the answer would be here by now.
    expect((await fetch(`${h.server.url}/healthz`)).status).toBe(200);
    await new Promise((r) => setImmediate(r));
    expect(answered).toBe(false);
    release();
    const response = await pending;
    expect(h.settled).toEqual([true]);
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ ok: true, workflowId: 'trip-REQ-1042' });
    expect(h.calls[0]).toEqual({
      workflowId: 'trip-REQ-1042',
      signal: 'avinodeEvent',
      event: { eventType: 'TripRequestSellerResponse', id: 'arfq-12345678', href: goodPayload.href, tripId: 'Q4K7ZP' },
    });
    // The payload named the trip: no Avinode read; the next event of that trip needs no lookup either.
    expect(h.reads).toEqual([]);
    expect((await post(h.server, goodPayload, { path: '/webhooks/avinode/TripRequestMine' })).status).toBe(200);
    expect(h.lookups).toHaveLength(1);
    expect(h.calls).toHaveLength(2);
  });

  it('signals a re-notification with the same RFQ id again (the request changed), not as a redelivery', async () => {
    const h = await harness();
    for (let i = 0; i < 3; i++)
      expect((await post(h.server, goodPayload, { path: '/webhooks/avinode/TripRequestMine' })).status).toBe(200);
    expect(h.calls.map((call) => call.event.id)).toEqual(['arfq-12345678', 'arfq-12345678', 'arfq-12345678']);
  });

  it('reads a chat without tripId once, signals its run with the message, and answers a redelivery without reading or signalling again', async () => {
    const h = await harness();
    const chat = { id: 'asellermsg-96660002', href: `${API}/tripmsgs/asellermsg-96660002`, type: 'tripmsgs' };
    const first = await post(h.server, chat, { path: '/webhooks/avinode/TripChatFromSeller' });
    expect(first).toMatchObject({ status: 200, json: { ok: true, workflowId: 'trip-REQ-1042' } });
    expect(h.calls[0]!.event).toMatchObject({
      id: chat.id,
      tripId: 'Q4K7ZP',
      atripId: 'atrip-1',
      message: { messageId: chat.id, text: 'Can do, crew rest permitting.' },
    });
    expect(h.reads).toEqual([chat.href]);
    const again = await post(h.server, chat, { path: '/webhooks/avinode/TripChatFromSeller' });
    expect(again).toMatchObject({ status: 200, json: { ok: true, workflowId: 'trip-REQ-1042' } });
    expect(h.reads).toHaveLength(1);
    expect(h.calls).toHaveLength(1);
    // Another message on the same RFQ: one read (its text), and the cache knows the run.
    await post(
      h.server,
      { ...chat, id: 'asellermsg-96660003', href: `${API}/tripmsgs/asellermsg-96660003` },
      { path: '/webhooks/avinode/TripChatFromSeller' },
    );
    expect(h.reads).toHaveLength(2);
    expect(h.lookups).toHaveLength(1);
    expect(h.server.stats()).toMatchObject({ signalled: 2, redeliveries: 1, avinodeReads: 2 });
  });

  it('finds the run of a message that names only its RFQ (the documented shape): reads the RFQ for its trip id, then lists the run once', async () => {
    const h = await harness();
    const chat = { id: 'asellermsg-96660007', href: `${API}/tripmsgs/asellermsg-96660007`, type: 'tripmsgs' };
    const answer = await post(h.server, chat, { path: '/webhooks/avinode/TripChatFromSeller' });
    expect(answer).toMatchObject({ status: 200, json: { workflowId: 'trip-REQ-1042' } });
    expect(h.reads).toEqual([chat.href, 'arfq-77']);
    expect(h.lookups).toHaveLength(1);
    // The next message on that RFQ: its own read only.
    await post(
      h.server,
      { ...chat, id: 'asellermsg-96660017', href: `${API}/tripmsgs/asellermsg-96660017` },
      { path: '/webhooks/avinode/TripChatFromSeller' },
    );
    expect(h.reads).toHaveLength(3);
    expect(h.lookups).toHaveLength(1);
    expect(h.calls.map((call) => call.workflowId)).toEqual(['trip-REQ-1042', 'trip-REQ-1042']);
  });

  it('acknowledges an event about a trip no charterflow run carries with 200 and records it once', async () => {
    const h = await harness();
    const foreign = { id: 'asellermsg-11110009', href: `${API}/tripmsgs/asellermsg-11110009`, type: 'tripmsgs' };
    for (let i = 0; i < 2; i++) {
      const response = await post(h.server, foreign, { path: '/webhooks/avinode/TripChatFromSeller' });
      expect(response).toMatchObject({ status: 200, json: { ok: true, outcome: 'unknown_trip' } });
    }
    const gone = { id: 'arfq-404', href: `${API}/rfqs/arfq-404`, type: 'rfqs' };
    expect((await post(h.server, gone, { path: '/webhooks/avinode/TripRequestMine' })).json).toMatchObject({
      outcome: 'unknown_trip',
    });
    expect(h.calls).toEqual([]);
    expect(h.logs.filter((line) => line.includes('no charterflow run carries'))).toHaveLength(2);
    expect(h.server.stats()).toMatchObject({ unknownTrips: 2, signalled: 0 });
    // The records are durable: one workflow per event type and id, never started twice.
    expect(h.starts).toEqual([
      {
        workflowType: 'unknownAvinodeEventWorkflow',
        workflowId: 'avinode-unknown-TripChatFromSeller-asellermsg-11110009',
        taskQueue: 'hooks-test-queue',
        reusePolicy: 'REJECT_DUPLICATE',
        record: expect.objectContaining({
          eventType: 'TripChatFromSeller',
          id: 'asellermsg-11110009',
          tripId: 'ZZ9ZZ9',
          atripId: 'atrip-2',
          reason: 'trip was not created by charterflow',
          receivedAt: expect.any(String),
        }),
      },
      expect.objectContaining({
        workflowId: 'avinode-unknown-TripRequestMine-arfq-404',
        record: expect.objectContaining({ reason: 'resource not readable (AvinodeNotFound)' }),
      }),
    ]);
  });

  it('records an unknown-trip event once across receivers: a redelivery to another process finds the record', async () => {
    const foreign = { id: 'asellermsg-11110009', href: `${API}/tripmsgs/asellermsg-11110009`, type: 'tripmsgs' };
    const first = await harness();
    await post(first.server, foreign, { path: '/webhooks/avinode/TripChatFromSeller' });
    await first.server.close();
    const second = await harness();
    const response = await post(second.server, foreign, { path: '/webhooks/avinode/TripChatFromSeller' });
    expect(response).toMatchObject({ status: 200, json: { ok: true, outcome: 'unknown_trip' } });
    expect(first.starts).toHaveLength(1);
    expect(second.starts).toEqual([]);
    expect(second.server.stats()).toMatchObject({ unknownTrips: 0 });
    expect(second.logs.filter((line) => line.includes('recorded before, acknowledged'))).toHaveLength(1);
  });

  it('answers 503 for an unknown-trip event it cannot record because Temporal is unreachable, so Avinode redelivers', async () => {
    const h = await harness(
      undefined,
      undefined,
      undefined,
      grpcFailure(GrpcStatus.UNAVAILABLE, 'No connection established'),
    );
    const foreign = { id: 'asellermsg-11110009', href: `${API}/tripmsgs/asellermsg-11110009`, type: 'tripmsgs' };
    const response = await post(h.server, foreign, { path: '/webhooks/avinode/TripChatFromSeller' });
    expect(response.status).toBe(503);
    expect(h.server.stats()).toMatchObject({ unknownTrips: 0 });
  });

  it('acknowledges an event for a run that has ended with 200', async () => {
    const h = await harness(async ({ workflowId }) => {
      throw new WorkflowNotFoundError('workflow execution already completed', workflowId, undefined);
    });
    const response = await post(h.server, goodPayload);
    expect(response).toMatchObject({
      status: 200,
      json: { ok: true, outcome: 'not_running', workflowId: 'trip-REQ-1042' },
    });
  });

  it('answers 503 with Retry-After when Avinode cannot be read to find the trip', async () => {
    // What the Avinode client throws when the API does not answer.
    const h = await harness(
      undefined,
      undefined,
      networkFailure(
        'GET',
        '/tripmsgs/{id}',
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
      ),
    );
    const chat = { id: 'asellermsg-96660002', href: `${API}/tripmsgs/asellermsg-96660002`, type: 'tripmsgs' };
    const response = await post(h.server, chat, { path: '/webhooks/avinode/TripChatFromSeller' });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).not.toBeNull();
    expect(h.calls).toEqual([]);
  });

  it('rejects a wrong password, a wrong user and a missing Authorization header with 401 and signals nothing', async () => {
    const h = await harness();
    for (const auth of [basic(USERNAME, 'wrong-password'), basic('someone', PASSWORD), null, 'Bearer abc']) {
      const response = await post(h.server, goodPayload, { auth });
      expect(response.status, String(auth)).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic/);
    }
    expect(h.calls).toEqual([]);
  });

  it('answers 404 for an unknown event type and 405 for GET on a webhook route', async () => {
    const h = await harness();
    expect((await post(h.server, goodPayload, { path: '/webhooks/avinode/TripDeleted' })).status).toBe(404);
    const get = await fetch(`${h.server.url}/webhooks/avinode/TripRequestMine`, {
      headers: { authorization: goodAuth },
    });
    await get.text();
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(h.calls).toEqual([]);
  });

  it('answers 413 for a body over WEBHOOK_MAX_BODY_BYTES, 400 for non-JSON and 415 for another content type', async () => {
    const h = await harness();
    const big = { ...goodPayload, padding: 'x'.repeat(config.webhooks.maxBodyBytes) };
    expect((await post(h.server, big)).status).toBe(413);
    expect((await post(h.server, '{"id": "arfq-1",')).status).toBe(400);
    expect((await post(h.server, goodPayload, { contentType: 'text/plain' })).status).toBe(415);
    expect(h.calls).toEqual([]);
  });

  it('answers 422 naming each invalid field', async () => {
    const h = await harness();
    const response = await post(h.server, { id: 'not an id', href: 'ftp://x', tripId: 'Q4K7ZP' });
    expect(response.status).toBe(422);
    const fields = (response.json.fields as string[]).join('\n');
    expect(fields).toMatch(/^id: /m);
    expect(fields).toMatch(/^href: /m);
    expect(fields).toMatch(/^type: /m);
    expect(h.calls).toEqual([]);
  });

  it('refuses an href on another origin than the configured Avinode API with 422 and signals nothing', async () => {
    const h = await harness();
    for (const href of ['https://evil.example/api/rfqs/arfq-1', 'http://127.0.0.1:10/api/rfqs/arfq-1']) {
      const response = await post(h.server, { ...goodPayload, href });
      expect(response.status, href).toBe(422);
      expect(String(response.json.error)).toMatch(/origin/);
    }
    expect(h.calls).toEqual([]);
  });

  it('answers 503 with Retry-After when Temporal is unreachable', async () => {
    const h = await harness(async () => {
      throw grpcFailure(GrpcStatus.UNAVAILABLE, 'No connection established');
    });
    const response = await post(h.server, goodPayload);
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(h.calls).toHaveLength(1);
  });

  it('answers 503 with Retry-After when the hand-off does not finish within the timeout', async () => {
    const h = await harness(() => new Promise(() => {}), 50);
    const response = await post(h.server, goodPayload);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).not.toBeNull();
  });

  it('answers 500 without Retry-After when the signal fails for another reason', async () => {
    const h = await harness(async () => {
      throw new Error('namespace charter not found');
    });
    const response = await post(h.server, goodPayload);
    expect(response.status).toBe(500);
    expect(response.headers.get('retry-after')).toBeNull();
  });

  it('never logs the webhook password or the Authorization header', async () => {
    const h = await harness(async () => {
      throw new Error(`14 UNAVAILABLE`);
    });
    await post(h.server, goodPayload);
    await post(h.server, goodPayload, { auth: basic(USERNAME, `${PASSWORD}-typo`) });
    await post(h.server, { ...goodPayload, href: 'https://evil.example/x' });
    const logs = h.logs.join('');
    expect(h.logs.length).toBeGreaterThanOrEqual(3);
    expect(logs).not.toContain(PASSWORD);
    expect(logs).not.toContain(Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64'));
    expect(logs).not.toContain(Buffer.from(`${USERNAME}:${PASSWORD}-typo`).toString('base64'));
    expect(logs.toLowerCase()).not.toContain('"authorization"');
  });
});

describe('a client that goes away mid-body', () => {
  it('is dropped quietly: no signal, no crash logged', async () => {
    const h = await harness();
    const { port } = new URL(h.server.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `POST /webhooks/avinode/TripRequestMine HTTP/1.1\r\nHost: x\r\nAuthorization: ${goodAuth}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"id":`,
    );
    socket.end(); // a FIN after the partial body: the bytes above arrive first
    await expect
      .poll(() => h.logs.some((line) => line.includes('abandoned by the client')), { timeout: 5_000 })
      .toBe(true);
    expect(h.calls).toEqual([]);
    expect(h.logs.join('')).not.toContain('crashed');
  });
});

describe('receiver checks', () => {
  const expected = { username: USERNAME, password: PASSWORD };

  it('checks Basic credentials over fixed-length digests: any length of guess is compared, none throws', () => {
    expect(authorized(goodAuth, expected)).toBe(true);
    expect(authorized(goodAuth.toLowerCase().replace(/^basic/, 'basic'), expected)).toBe(false);
    for (const guess of ['', 'h', PASSWORD.slice(0, -1), `${PASSWORD}x`, 'x'.repeat(10_000), 'pässwörd']) {
      expect(authorized(basic(USERNAME, guess), expected)).toBe(false);
    }
    expect(authorized(basic(`${USERNAME}x`, PASSWORD), expected)).toBe(false);
    expect(authorized(undefined, expected)).toBe(false);
    expect(authorized('Basic', expected)).toBe(false);
    expect(authorized(`Basic ${Buffer.from(`${USERNAME}${PASSWORD}`).toString('base64')}`, expected)).toBe(false);
    expect(sameSecret('a', 'a'.repeat(64))).toBe(false);
    expect(sameSecret(PASSWORD, PASSWORD)).toBe(true);
  });

  it('accepts application/json with at most a UTF-8 charset, and nothing that merely starts like it', () => {
    for (const type of [
      'application/json',
      'Application/JSON',
      'application/json; charset=utf-8',
      'application/json;charset="UTF-8"',
    ])
      expect(isJsonContentType(type), type).toBe(true);
    for (const type of [
      undefined,
      '',
      'application/json-patch+json',
      'application/jsonp',
      'application/json; charset=utf-16',
      'application/json; boundary=x',
      'text/json',
      'application/x-json',
      'multipart/form-data',
    ]) {
      expect(isJsonContentType(type), String(type)).toBe(false);
    }
  });
});

describe('isTemporalUnreachable', () => {
  it('calls UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED unreachable, by gRPC status, through the client error', () => {
    expect(isTemporalUnreachable(grpcFailure(GrpcStatus.UNAVAILABLE, 'connection refused'))).toBe(true);
    expect(isTemporalUnreachable(grpcFailure(GrpcStatus.DEADLINE_EXCEEDED, 'deadline exceeded'))).toBe(true);
    expect(isTemporalUnreachable(grpcFailure(GrpcStatus.RESOURCE_EXHAUSTED, 'namespace rate limit exceeded'))).toBe(
      true,
    );
  });

  it('asks for a redelivery when the Avinode read failed for a while, not for good', () => {
    expect(isTemporalUnreachable(failures.unavailable('GET /rfqs/{id} → 503'))).toBe(true);
    expect(
      isTemporalUnreachable(failures.rateLimited('the receiver’s Avinode read budget is spent (deadline)', 1_000)),
    ).toBe(true);
    expect(isTemporalUnreachable(failures.authRejected('GET /rfqs/{id} → 401'))).toBe(false);
  });

  it('does not read error text: a permission error that mentions a timeout is not unreachable', () => {
    expect(
      isTemporalUnreachable(
        grpcFailure(GrpcStatus.PERMISSION_DENIED, 'request timed out waiting for authorization; connect again'),
      ),
    ).toBe(false);
    expect(isTemporalUnreachable(new Error('14 UNAVAILABLE: ECONNREFUSED'))).toBe(false);
    expect(
      isTemporalUnreachable(
        new WorkflowExecutionAlreadyStartedError('already started', 'trip-x', 'charterTripWorkflow'),
      ),
    ).toBe(false);
  });

  it('recognises what the SDK really throws when no Temporal listens at the address', async () => {
    const connection = Connection.lazy({ address: `127.0.0.1:${await closedPort()}`, interceptors: [] });
    try {
      const client = new Client({ connection });
      const error = await client.workflow
        .getHandle('trip-probe')
        .signal('avinodeEvent')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceError);
      expect(isTemporalUnreachable(error)).toBe(true);
    } finally {
      await connection.close();
    }
  });
});
