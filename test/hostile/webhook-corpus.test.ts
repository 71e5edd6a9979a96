// Hostile webhook requests against the real receiver, handing off to a real Temporal with a real
// worker and the emulator as Avinode. Every bad request gets a 4xx naming the problem (never a 5xx),
// signals no run, and nothing is ever sent to a foreign origin; unknown trips are acknowledged and
// recorded once by the receiver, not retried.
import { request as httpRequest, createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/logging.ts';
import { startWebhookServer, type RunningWebhookServer, type TripSignaller } from '../../workers/webhook-server.ts';
import type { WebhookEventType } from '../../workflows/contract.ts';
import { startStack, WEBHOOK_PASSWORD, type Stack } from '../integration/stack/harness.ts';

let stack: Stack;
let receiver: RunningWebhookServer;
/** A receiver process of its own (nothing in memory) on the same Temporal and Avinode. */
let startReceiver: () => Promise<RunningWebhookServer>;
let foreign: { server: Server; url: string; requests: string[] };
/** Signals the receiver sent to trip runs (passed through to the real client). */
const starts: string[] = [];
/** Records of events about unknown trips the receiver started (unknownAvinodeEventWorkflow). */
const records: string[] = [];

const LIMITS = { headersTimeoutMs: 400, requestTimeoutMs: 800, timeoutCheckIntervalMs: 50 };

beforeAll(async () => {
  stack = await startStack();
  const server = createServer((req, res) => {
    foreign.requests.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{}}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  foreign = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: [] };
  const client = {
    workflow: {
      getHandle: (workflowId: string) => ({
        signal: (...args: unknown[]) => {
          starts.push(workflowId);
          return (stack.client.workflow.getHandle(workflowId).signal as (...a: unknown[]) => Promise<void>)(...args);
        },
      }),
      list: (options: { query: string }) => stack.client.workflow.list(options),
      start: (...args: Parameters<typeof stack.client.workflow.start>) => {
        records.push(args[1].workflowId);
        return stack.client.workflow.start(...args);
      },
    },
  } as unknown as TripSignaller;
  startReceiver = () =>
    startWebhookServer({
      config: stack.config,
      client,
      logger: createLogger({ level: 'silent' }),
      port: 0,
      limits: LIMITS,
    });
  receiver = await startReceiver();
}, 120_000);
afterAll(async () => {
  await receiver?.close();
  await stack?.close();
  await new Promise((resolve) => foreign?.server.close(resolve));
});

const USER = 'avinode';
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const GOOD_AUTH = basic(USER, WEBHOOK_PASSWORD);
const api = () => stack.emulator.apiBaseUrl;
const payload = (changes: Record<string, unknown> = {}) => ({
  id: 'arfq-90000001',
  href: `${api()}/rfqs/arfq-90000001`,
  type: 'rfqs',
  ...changes,
});

interface Sent {
  status: number;
  body: string;
  json?: { error?: string; fields?: string[] };
}

/** One request over node:http, so methods, raw paths and headers go out exactly as written. */
function send(options: {
  method?: string;
  path?: string;
  headers?: Record<string, string | undefined>;
  body?: string | Buffer;
  chunked?: boolean;
}): Promise<Sent> {
  const { port } = new URL(receiver.url);
  const body = options.body ?? '';
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries({
    authorization: GOOD_AUTH,
    'content-type': 'application/json',
    ...options.headers,
  }))
    if (value !== undefined) headers[name] = value;
  if (!options.chunked) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? '/webhooks/avinode/TripRequestSellerResponse',
        headers,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          let json: Sent['json'];
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: text, ...(json ? { json } : {}) });
        });
      },
    );
    // The receiver may answer (413) and close while a large body is still going out.
    req.on('error', reject);
    if (options.chunked) {
      const chunk = Buffer.alloc(16_384, 'a');
      for (let sent = 0; sent < Buffer.byteLength(body); sent += chunk.length) req.write(chunk);
    } else req.write(body);
    req.end();
  });
}

interface Case {
  name: string;
  request: () => Parameters<typeof send>[0];
  status: number;
  /** What the answer's error (and field list) must say. */
  error: RegExp;
}

const json = (value: unknown) => JSON.stringify(value);

const cases: Case[] = [
  // authentication
  {
    name: 'no Authorization header',
    request: () => ({ headers: { authorization: undefined }, body: json(payload()) }),
    status: 401,
    error: /unauthorized/,
  },
  {
    name: 'a wrong password',
    request: () => ({ headers: { authorization: basic(USER, 'not-the-password') }, body: json(payload()) }),
    status: 401,
    error: /unauthorized/,
  },
  {
    name: 'a wrong user',
    request: () => ({ headers: { authorization: basic('avinode2', WEBHOOK_PASSWORD) }, body: json(payload()) }),
    status: 401,
    error: /unauthorized/,
  },
  {
    name: 'the password minus its last character',
    request: () => ({ headers: { authorization: basic(USER, WEBHOOK_PASSWORD.slice(0, -1)) }, body: json(payload()) }),
    status: 401,
    error: /unauthorized/,
  },
  {
    name: 'the password plus one character',
    request: () => ({ headers: { authorization: basic(USER, `${WEBHOOK_PASSWORD}x`) }, body: json(payload()) }),
    status: 401,
    error: /unauthorized/,
  },
  {
    name: 'a Bearer token instead of Basic',
    request: () => ({ headers: { authorization: `Bearer ${WEBHOOK_PASSWORD}` }, body: json(payload()) }),
    status: 401,
    error: /unauthorized/,
  },
  {
    name: 'Basic credentials that are not base64',
    request: () => ({ headers: { authorization: 'Basic %%%not-base64%%%' }, body: json(payload()) }),
    status: 401,
    error: /unauthorized/,
  },
  {
    name: 'Basic credentials without a colon',
    request: () => ({
      headers: { authorization: `Basic ${Buffer.from(`${USER}${WEBHOOK_PASSWORD}`).toString('base64')}` },
      body: json(payload()),
    }),
    status: 401,
    error: /unauthorized/,
  },
  {
    name: 'a 10 kB Authorization header',
    request: () => ({ headers: { authorization: `Basic ${'QUFB'.repeat(2_500)}` }, body: json(payload()) }),
    status: 401,
    error: /unauthorized/,
  },
  // methods and routes
  { name: 'GET on a webhook route', request: () => ({ method: 'GET' }), status: 405, error: /only POST/ },
  {
    name: 'PUT on a webhook route',
    request: () => ({ method: 'PUT', body: json(payload()) }),
    status: 405,
    error: /only POST/,
  },
  { name: 'DELETE on a webhook route', request: () => ({ method: 'DELETE' }), status: 405, error: /only POST/ },
  {
    name: 'an event type Avinode does not send',
    request: () => ({ path: '/webhooks/avinode/TripRequestDeleted', body: json(payload()) }),
    status: 404,
    error: /unknown route; POST \/webhooks\/avinode\/<TripRequestMine\|/,
  },
  {
    name: 'an event type in lower case',
    request: () => ({ path: '/webhooks/avinode/triprequestmine', body: json(payload()) }),
    status: 404,
    error: /unknown route/,
  },
  {
    name: 'a prototype key as the event type',
    request: () => ({ path: '/webhooks/avinode/constructor', body: json(payload()) }),
    status: 404,
    error: /unknown route/,
  },
  {
    name: 'a protocol-relative request target (found by the fuzzer: a 500 before)',
    request: () => ({ path: '//', body: json(payload()) }),
    status: 404,
    error: /unknown route/,
  },
  {
    name: 'a doubled leading slash before a webhook route',
    request: () => ({ path: '//webhooks/avinode/TripRequestMine', body: json(payload()) }),
    status: 404,
    error: /unknown route/,
  },
  {
    name: 'an encoded path traversal',
    request: () => ({ path: '/webhooks/avinode/%2e%2e%2f%2e%2e%2f_emulator%2freset', body: json(payload()) }),
    status: 404,
    error: /unknown route/,
  },
  // content types
  {
    name: 'text/plain',
    request: () => ({ headers: { 'content-type': 'text/plain' }, body: json(payload()) }),
    status: 415,
    error: /Content-Type must be application\/json/,
  },
  {
    name: 'no Content-Type',
    request: () => ({ headers: { 'content-type': undefined }, body: json(payload()) }),
    status: 415,
    error: /Content-Type must be application\/json/,
  },
  {
    name: 'a form body',
    request: () => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'id=arfq-1' }),
    status: 415,
    error: /Content-Type must be application\/json/,
  },
  {
    name: 'a JSON look-alike media type',
    request: () => ({ headers: { 'content-type': 'application/json-patch+json' }, body: json(payload()) }),
    status: 415,
    error: /Content-Type must be application\/json/,
  },
  {
    name: 'JSON in UTF-16',
    request: () => ({ headers: { 'content-type': 'application/json; charset=utf-16' }, body: json(payload()) }),
    status: 415,
    error: /charset utf-8/,
  },
  {
    name: 'multipart',
    request: () => ({ headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--' }),
    status: 415,
    error: /Content-Type must be application\/json/,
  },
  // JSON shapes
  { name: 'a body that is not JSON', request: () => ({ body: 'hello' }), status: 400, error: /body is not JSON/ },
  { name: 'an empty body', request: () => ({ body: '' }), status: 400, error: /body is not JSON/ },
  { name: 'a JSON array', request: () => ({ body: '[]' }), status: 422, error: /body: / },
  { name: 'JSON null', request: () => ({ body: 'null' }), status: 422, error: /body: / },
  { name: 'a JSON string', request: () => ({ body: '"arfq-1"' }), status: 422, error: /body: / },
  {
    name: 'no id',
    request: () => ({ body: json({ href: `${api()}/rfqs/arfq-1`, type: 'rfqs' }) }),
    status: 422,
    error: /id: /,
  },
  {
    name: 'an unprefixed id',
    request: () => ({ body: json(payload({ id: 'rfq-1' })) }),
    status: 422,
    error: /id: expected a prefixed Avinode id/,
  },
  {
    name: 'a 300-character id',
    request: () => ({ body: json(payload({ id: `arfq-${'1'.repeat(295)}` })) }),
    status: 422,
    error: /id: /,
  },
  {
    name: 'an href that is not a URL',
    request: () => ({ body: json(payload({ href: 'rfqs/arfq-1' })) }),
    status: 422,
    error: /href: /,
  },
  {
    name: 'a javascript: href',
    request: () => ({ body: json(payload({ href: 'javascript:alert(1)' })) }),
    status: 422,
    error: /href: /,
  },
  {
    name: 'a tripId with symbols',
    request: () => ({ body: json(payload({ tripId: 'Q4K7ZP; DROP' })) }),
    status: 422,
    error: /tripId: /,
  },
  {
    name: 'a 51-character type',
    request: () => ({ body: json(payload({ type: 'r'.repeat(51) })) }),
    status: 422,
    error: /type: /,
  },
  {
    name: 'an object as the id',
    request: () => ({ body: json(payload({ id: { $gt: '' } })) }),
    status: 422,
    error: /id: /,
  },
  {
    name: 'JSON nested 20,000 levels deep',
    request: () => ({ body: `${'['.repeat(20_000)}${']'.repeat(20_000)}` }),
    status: 422,
    error: /body: /,
  },
  {
    name: 'the href only in an own __proto__ key',
    request: () => ({
      body: `{"id":"arfq-90000001","type":"rfqs","__proto__":{"href":"${api()}/rfqs/arfq-90000001"}}`,
    }),
    status: 422,
    error: /href: /,
  },
  // sizes
  {
    name: 'a declared body over the limit',
    request: () => ({ body: json(payload({ type: 'x'.repeat(70_000) })) }),
    status: 413,
    error: /body larger than 65536 bytes/,
  },
  {
    name: 'a chunked body over the limit',
    request: () => ({ body: 'a'.repeat(200_000), chunked: true }),
    status: 413,
    error: /body larger than 65536 bytes/,
  },
  // foreign origins
  {
    name: 'an href on another host',
    request: () => ({ body: json(payload({ href: 'https://attacker.example/api/rfqs/arfq-90000001' })) }),
    status: 422,
    error: /href is not under the configured Avinode API/,
  },
  {
    name: 'an href on another port of this host',
    request: () => ({ body: json(payload({ href: `${foreign.url}/api/rfqs/arfq-90000001` })) }),
    status: 422,
    error: /href is not under the configured Avinode API/,
  },
  {
    name: 'an href whose userinfo looks like the API',
    request: () => ({
      body: json(payload({ href: `http://${new URL(api()).host}@${new URL(foreign.url).host}/api/rfqs/arfq-1` })),
    }),
    status: 422,
    error: /href is not under the configured Avinode API/,
  },
  {
    name: 'an href on the API origin but outside its path',
    request: () => ({ body: json(payload({ href: `${new URL(api()).origin}/_emulator/reset` })) }),
    status: 422,
    error: /href is not under the configured Avinode API/,
  },
  {
    name: 'an href with the API host over https',
    request: () => ({ body: json(payload({ href: api().replace('http:', 'https:') + '/rfqs/arfq-1' })) }),
    status: 422,
    error: /href is not under the configured Avinode API/,
  },
  {
    name: 'a duplicate href key whose last value is foreign',
    request: () => ({
      body: `{"id":"arfq-90000001","type":"rfqs","href":"${api()}/rfqs/arfq-90000001","href":"${foreign.url}/api/rfqs/arfq-90000001"}`,
    }),
    status: 422,
    error: /href is not under/,
  },
];

describe('hostile webhook requests', () => {
  it(`has at least 40 cases (${cases.length}), plus slow clients and unknown trips below`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  for (const testCase of cases) {
    it(`answers ${testCase.status} to ${testCase.name}, naming the problem, and signals nothing`, async () => {
      const before = starts.length;
      const answer = await send(testCase.request());
      expect(answer.status, answer.body).toBe(testCase.status);
      const said = `${answer.json?.error ?? ''}\n${(answer.json?.fields ?? []).join('\n')}`;
      expect(said).toMatch(testCase.error);
      expect(answer.body).not.toContain(WEBHOOK_PASSWORD);
      expect(starts.length).toBe(before);
    });
  }

  it('closes a connection whose headers never finish (slowloris) with 408, signalling nothing', async () => {
    const { port } = new URL(receiver.url);
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.write('POST /webhooks/avinode/TripRequestMine HTTP/1.1\r\nHost: receiver\r\nX-Slow: 1\r\n');
    const dripping = setInterval(() => socket.write('X-More: 1\r\n'), 100);
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    clearInterval(dripping);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(starts).toEqual([]);
  });

  it('closes a connection that never sends a byte with 408', async () => {
    const { port } = new URL(receiver.url);
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a connection whose body trickles in slower than the request timeout with 408, signalling nothing', async () => {
    const { port } = new URL(receiver.url);
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    const body = json(payload());
    socket.write(
      `POST /webhooks/avinode/TripRequestMine HTTP/1.1\r\nHost: receiver\r\nAuthorization: ${GOOD_AUTH}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    let sent = 0;
    const dripping = setInterval(() => {
      if (sent < body.length - 1) socket.write(body[sent++]!);
    }, 100);
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    clearInterval(dripping);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(starts).toEqual([]);
  });

  it('acknowledges webhooks about unknown trips with 200, records each once, and signals nothing', async () => {
    const unknownRfq = payload({ id: 'arfq-99999999', href: `${api()}/rfqs/arfq-99999999` });
    const unknownTrip = {
      id: 'asellermsg-99999998',
      href: `${api()}/tripmsgs/asellermsg-99999998`,
      type: 'tripmsgs',
      tripId: 'ZZZZZZ',
    };
    const events: [WebhookEventType, Record<string, unknown>][] = [
      ['TripRequestSellerResponse', unknownRfq],
      ['TripChatFromSeller', unknownTrip],
    ];
    for (const [eventType, body] of events) {
      const answer = await send({ path: `/webhooks/avinode/${eventType}`, body: json(body) });
      expect(answer.status, answer.body).toBe(200);
      expect(answer.json).toMatchObject({ ok: true, outcome: 'unknown_trip' });
    }
    // A redelivery is acknowledged again, and not recorded twice.
    const again = await send({ path: '/webhooks/avinode/TripRequestSellerResponse', body: json(unknownRfq) });
    expect(again.status).toBe(200);
    expect(receiver.stats().unknownTrips).toBe(2);
    expect(starts).toEqual([]);
    // Each record is a finished workflow on the server holding what was received, found by its id.
    expect(records).toEqual([
      'avinode-unknown-TripRequestSellerResponse-arfq-99999999',
      'avinode-unknown-TripChatFromSeller-asellermsg-99999998',
    ]);
    const record = await stack.client.workflow.getHandle(records[1]!).result();
    expect(record).toMatchObject({
      eventType: 'TripChatFromSeller',
      id: 'asellermsg-99999998',
      tripId: 'ZZZZZZ',
      reason: expect.stringMatching(/not readable/),
    });
    // A redelivery to another receiver process, which remembers nothing: the server refuses a second
    // record (REJECT_DUPLICATE on the finished one), and the event is acknowledged all the same.
    const { runId: firstRun } = await stack.client.workflow.getHandle(records[1]!).describe();
    await receiver.close();
    receiver = await startReceiver();
    const elsewhere = await send({ path: '/webhooks/avinode/TripChatFromSeller', body: json(unknownTrip) });
    expect(elsewhere.json).toMatchObject({ ok: true, outcome: 'unknown_trip' });
    expect(receiver.stats().unknownTrips).toBe(0);
    expect((await stack.client.workflow.getHandle(records[1]!).describe()).runId).toBe(firstRun);
  });

  it('never sent anything to the foreign origin', () => {
    expect(foreign.requests).toEqual([]);
  });
});
