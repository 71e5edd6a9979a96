// The webhook receiver over real HTTP on port 0, with a fake Temporal client recording starts.
import { connect, createServer, type AddressInfo } from 'node:net';
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { Client, Connection, ServiceError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../platform/config.ts';
import { createLogger } from '../../../platform/logging.ts';
import { authorized, isJsonContentType, isTemporalUnreachable, sameSecret, startWebhookServer, type RunningWebhookServer, type WorkflowStarter } from '../../../workers/webhook-server.ts';

/** What the Temporal client throws for a gRPC status: a ServiceError caused by the grpc-js error. */
function grpcFailure(code: GrpcStatus, details: string): ServiceError {
  const cause = Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), { code, details, metadata: new Metadata() });
  return new ServiceError('Failed to start Workflow', { cause });
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

type StartCall = { workflowType: unknown; options: Record<string, unknown> };
type StartBehaviour = (call: StartCall) => Promise<unknown>;

interface Harness {
  server: RunningWebhookServer;
  calls: StartCall[];
  logs: string[];
  /** Resolves when the fake's start promise has settled (the receiver may answer only after that). */
  settled: boolean[];
}

let running: RunningWebhookServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function harness(behaviour: StartBehaviour = async () => ({ workflowId: 'x' }), handoffTimeoutMs?: number): Promise<Harness> {
  const calls: StartCall[] = [];
  const logs: string[] = [];
  const settled: boolean[] = [];
  const client = {
    workflow: {
      start: async (workflowType: unknown, options: Record<string, unknown>) => {
        const call = { workflowType, options };
        calls.push(call);
        const index = settled.push(false) - 1;
        try {
          return await behaviour(call);
        } finally {
          settled[index] = true;
        }
      },
    },
  } as unknown as WorkflowStarter;
  const logger = createLogger({ level: 'trace', destination: { write: (line: string) => void logs.push(line) } });
  const server = await startWebhookServer({ config, client, logger, port: 0, ...(handoffTimeoutMs ? { handoffTimeoutMs } : {}) });
  running = server;
  return { server, calls, logs, settled };
}

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const goodAuth = basic(USERNAME, PASSWORD);
const goodPayload = { id: 'arfq-12345678', href: 'http://127.0.0.1:9/api/rfqs/arfq-12345678', type: 'rfqs', tripId: 'Q4K7ZP' };

async function post(
  server: RunningWebhookServer,
  body: unknown,
  { path = '/webhooks/avinode/TripRequestSellerResponse', auth = goodAuth as string | null, contentType = 'application/json' } = {},
) {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (auth !== null) headers.authorization = auth;
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

describe('webhook receiver', () => {
  it('answers 200 only after the routing workflow start resolved, with a per-event id and dedupe policies', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const h = await harness(async () => {
      await gate;
      return { workflowId: 'started' };
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
    expect(response.json).toEqual({ ok: true, workflowId: 'avinode-event-TripRequestSellerResponse-arfq-12345678' });
    const [call] = h.calls;
    expect(call!.workflowType).toBe('avinodeEventWorkflow');
    expect(call!.options).toMatchObject({
      workflowId: 'avinode-event-TripRequestSellerResponse-arfq-12345678',
      taskQueue: 'hooks-test-queue',
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A later notification with the same id (an update or cancellation of the RFQ) runs again.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      args: [{ eventType: 'TripRequestSellerResponse', id: 'arfq-12345678', href: goodPayload.href, tripId: 'Q4K7ZP' }],
    });
  });

  it('rejects a wrong password, a wrong user and a missing Authorization header with 401 and starts nothing', async () => {
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
    const get = await fetch(`${h.server.url}/webhooks/avinode/TripRequestMine`, { headers: { authorization: goodAuth } });
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

  it('refuses an href on another origin than the configured Avinode API with 422 and starts nothing', async () => {
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

  it('answers 500 without Retry-After when the start fails for another reason', async () => {
    const h = await harness(async () => {
      throw grpcFailure(GrpcStatus.NOT_FOUND, 'namespace charter not found');
    });
    const response = await post(h.server, goodPayload);
    expect(response.status).toBe(500);
    expect(response.headers.get('retry-after')).toBeNull();
  });

  it('acknowledges a duplicate delivery (routing workflow already started) with 200', async () => {
    const h = await harness(async ({ options }) => {
      throw new WorkflowExecutionAlreadyStartedError('already started', String(options.workflowId), 'avinodeEventWorkflow');
    });
    const response = await post(h.server, goodPayload, { path: '/webhooks/avinode/TripChatFromSeller' });
    expect(response.status).toBe(200);
    expect(response.json.workflowId).toBe('avinode-event-TripChatFromSeller-arfq-12345678');
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
  it('is dropped quietly: no start, no crash logged', async () => {
    const h = await harness();
    const { port } = new URL(h.server.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(`POST /webhooks/avinode/TripRequestMine HTTP/1.1\r\nHost: x\r\nAuthorization: ${goodAuth}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"id":`);
    socket.end(); // a FIN after the partial body: the bytes above arrive first
    await expect.poll(() => h.logs.some((line) => line.includes('abandoned by the client')), { timeout: 5_000 }).toBe(true);
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
    for (const type of ['application/json', 'Application/JSON', 'application/json; charset=utf-8', 'application/json;charset="UTF-8"']) expect(isJsonContentType(type), type).toBe(true);
    for (const type of [undefined, '', 'application/json-patch+json', 'application/jsonp', 'application/json; charset=utf-16', 'application/json; boundary=x', 'text/json', 'application/x-json', 'multipart/form-data']) {
      expect(isJsonContentType(type), String(type)).toBe(false);
    }
  });
});

describe('isTemporalUnreachable', () => {
  it('calls UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED unreachable, by gRPC status, through the client error', () => {
    expect(isTemporalUnreachable(grpcFailure(GrpcStatus.UNAVAILABLE, 'connection refused'))).toBe(true);
    expect(isTemporalUnreachable(grpcFailure(GrpcStatus.DEADLINE_EXCEEDED, 'deadline exceeded'))).toBe(true);
    expect(isTemporalUnreachable(grpcFailure(GrpcStatus.RESOURCE_EXHAUSTED, 'namespace rate limit exceeded'))).toBe(true);
  });

  it('does not read error text: a permission error that mentions a timeout is not unreachable', () => {
    expect(isTemporalUnreachable(grpcFailure(GrpcStatus.PERMISSION_DENIED, 'request timed out waiting for authorization; connect again'))).toBe(false);
    expect(isTemporalUnreachable(new Error('14 UNAVAILABLE: ECONNREFUSED'))).toBe(false);
    expect(isTemporalUnreachable(new WorkflowExecutionAlreadyStartedError('already started', 'avinode-x', 'avinodeEventWorkflow'))).toBe(false);
  });

  it('recognises what the SDK really throws when no Temporal listens at the address', async () => {
    const connection = Connection.lazy({ address: `127.0.0.1:${await closedPort()}`, interceptors: [] });
    try {
      const client = new Client({ connection });
      const error = await client.workflow.start('avinodeEventWorkflow', { workflowId: 'avinode-probe', taskQueue: 'nowhere', args: [] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceError);
      expect(isTemporalUnreachable(error)).toBe(true);
    } finally {
      await connection.close();
    }
  });
});
