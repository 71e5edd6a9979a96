// Property-based fuzzing (fast-check, fixed seeds, bounded runs) of both doors: trip requests
// (CharterClient objects and CLI flags) and the webhook receiver over real HTTP. Whatever comes in,
// the answer is either a valid, normalized request or an error naming a field; never a crash, a
// start of anything invalid, a 5xx, or a stack trace.
import { parseArgs } from 'node:util';
import type { Client, WithStartWorkflowOperation } from '@temporalio/client';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CharterClient, TripRequestInvalid } from '../../client/index.ts';
import { TRIP_FLAG_OPTIONS, tripRequestFromFlags, UsageError } from '../../client/trip-flags.ts';
import { problemText } from '../../workflows/failures.ts';
import { loadConfig } from '../../platform/config.ts';
import { createLogger } from '../../platform/logging.ts';
import {
  startWebhookServer,
  WebhookPayload,
  type RunningWebhookServer,
  type TripSignaller,
} from '../../workers/webhook-server.ts';
import type { TripReader } from '../../workers/webhook-trips.ts';
import { AIRCRAFT_CATEGORIES, FailureType, type TripRequest } from '../../workflows/contract.ts';
import { countingPort, runCli, STACK_LINE } from './support.ts';

const SEED = 20261201;
const DAY = 86_400_000;
const futureDate = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);

/** The shape every accepted request must have, whatever the input was. */
function expectNormalized(request: TripRequest) {
  expect(request.externalId).toMatch(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/);
  expect(request.legs.length).toBeGreaterThanOrEqual(1);
  expect(request.legs.length).toBeLessThanOrEqual(12);
  for (const leg of request.legs) {
    expect(leg.from).toMatch(/^[A-Z0-9]{4}$/);
    expect(leg.to).toMatch(/^[A-Z0-9]{4}$/);
    expect(leg.from).not.toBe(leg.to);
    expect(new Date(`${leg.date}T00:00:00Z`).toISOString().slice(0, 10)).toBe(leg.date);
    expect(leg.paxTBD === true || (Number.isInteger(leg.pax) && leg.pax! >= 1 && leg.pax! <= 200)).toBe(true);
    if (leg.time !== undefined) expect(leg.time).toMatch(/^([01]\d|2[0-3]):[0-5]\d$/);
  }
  expect(['recreate', 'fail']).toContain(request.onReset);
  if (request.aircraftCategory !== undefined) expect(AIRCRAFT_CATEGORIES).toContain(request.aircraftCategory);
  if (request.callbackUrl !== undefined) expect(new URL(request.callbackUrl).username).toBe('');
  if (request.actAsAccount !== undefined) expect(request.actAsAccount).not.toMatch(/[\u0000-\u001f\u007f]/);
}

/** A problem names a field path of the request (or the request itself), then says what is wrong. */
const FIELD_PROBLEM =
  /^(request|externalId|legs(\[\d+\](\.(from|to|date|time|pax))?)?|aircraftCategory|quoteDeadline|onReset|callbackUrl|timing(\.\w+)?|notes|endWhenAllAnswered|onExpiry|actAsAccount): \S/;

// --- trip request objects ------------------------------------------------------------------------

const validLeg = () => ({ from: 'KTEB', to: 'KPBI', date: futureDate(30), time: '09:30', pax: 5 });
const validRequest = () => ({
  externalId: 'fuzz-1',
  legs: [validLeg()],
  aircraftCategory: 'Midsize jet',
  onReset: 'recreate',
  quoteDeadline: new Date(Date.now() + 5 * DAY).toISOString(),
});

/** Strings that look almost right: codes, dates, times, ids, URLs, with unicode and control characters. */
const nearMiss = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.stringMatching(/^[A-Za-z0-9ıſﬀ ]{3,5}$/),
  fc.stringMatching(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?Z?)?$/),
  fc.stringMatching(/^\d{1,2}:\d{1,2}$/),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    '',
    ' ',
    '\u0000',
    '\u202e',
    '💺',
    'KTEB',
    'kpbi',
    'Midsize jet',
    'recreate',
    'fail',
  ),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.constantFrom(
    'http://attacker.example/x',
    'https://u:p@hooks.example/',
    'javascript:alert(1)',
    'http://127.0.0.1:1/cb',
    'https://hooks.example/cb',
  ),
);
const hostileValue = fc.oneof(
  nearMiss,
  fc.anything({
    withBigInt: true,
    withNullPrototype: true,
    withObjectString: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withSparseArray: true,
    maxDepth: 3,
  }),
  fc.integer({ min: -5, max: 300 }),
  fc.double(),
);
const FIELD_PATHS = [
  'externalId',
  'legs',
  'legs.0',
  'legs.0.from',
  'legs.0.to',
  'legs.0.date',
  'legs.0.time',
  'legs.0.pax',
  'legs.0.extra',
  'legs.1',
  'aircraftCategory',
  'quoteDeadline',
  'onReset',
  'callbackUrl',
  'timing',
  'timing.pollInitialMs',
  'timing.pollMaxMs',
  'notes',
  'endWhenAllAnswered',
  'onExpiry',
  'actAsAccount',
  '__proto__',
  'constructor',
  'quoteDeadLine',
] as const;
const mutation = fc.tuple(fc.constantFrom(...FIELD_PATHS), hostileValue, fc.boolean());

/** Sets (or deletes) `path` in `target` with define semantics, so `__proto__` becomes an own key. */
function mutate(target: Record<string, unknown>, path: string, value: unknown, remove: boolean) {
  const parts = path.split('.');
  let node: unknown = target;
  for (const part of parts.slice(0, -1)) {
    const next = (node as Record<string, unknown>)[part];
    if (next === null || typeof next !== 'object') return;
    node = next;
  }
  const last = parts.at(-1)!;
  if (remove) delete (node as Record<string, unknown>)[last];
  else Object.defineProperty(node, last, { value, enumerable: true, writable: true, configurable: true });
}

describe('fuzzing CharterClient.startTrip', () => {
  it('accepts only normalized requests and refuses everything else with field-named problems, starting nothing', async () => {
    let starts = 0;
    let startedRequest: TripRequest | undefined;
    const fake = {
      workflow: {
        executeUpdateWithStart: async (
          _update: unknown,
          { startWorkflowOperation }: { startWorkflowOperation: WithStartWorkflowOperation<never> },
        ) => {
          starts += 1;
          startedRequest = startWorkflowOperation.options.args?.[0] as TripRequest;
          return {
            workflowId: 'trip-fuzz-1',
            atripId: 'atrip-1',
            tripId: 'Q1',
            href: '',
            deepLinks: {},
            reused: false,
          };
        },
      },
    } as unknown as Client;
    const charter = new CharterClient(fake, { taskQueue: 'fuzz' });
    const tally = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (mutations) => {
        const input = validRequest() as Record<string, unknown>;
        for (const [path, value, remove] of mutations) mutate(input, path, value, remove);
        const before = starts;
        try {
          await charter.startTrip(input as never);
        } catch (error) {
          expect(error).toBeInstanceOf(TripRequestInvalid);
          const { problems, message } = error as TripRequestInvalid;
          expect(problems.length).toBeGreaterThan(0);
          for (const problem of problems) expect(problemText(problem)).toMatch(FIELD_PROBLEM);
          expect(message).not.toMatch(STACK_LINE);
          expect(starts).toBe(before);
          tally.refused += 1;
          return;
        }
        expect(starts).toBe(before + 1);
        expectNormalized(startedRequest!);
        tally.accepted += 1;
      }),
      { seed: SEED, numRuns: 1_000 },
    );
    // Both outcomes were exercised: the property is not vacuous.
    expect(tally.refused).toBeGreaterThan(500);
    expect(tally.accepted).toBeGreaterThan(10);
  });
});

// --- CLI flags -----------------------------------------------------------------------------------

const FLAG_NAMES = [...Object.keys(TRIP_FLAG_OPTIONS), 'deadline', 'on-reset', 'callback-url'] as const;
const flagValue = fc.oneof(
  nearMiss,
  fc.constantFrom(
    'KTEB',
    'KPBI',
    'EGLL',
    futureDate(20),
    futureDate(40),
    '09:30',
    '5',
    '0',
    '201',
    '2.5',
    '1e1',
    '-1',
    '2h',
    '30m',
    '99999999d',
    'Midsize jet',
    'fail',
  ),
);
const argvArb = fc
  .tuple(
    fc.array(fc.tuple(fc.constantFrom(...FLAG_NAMES, 'frm', 'passengers'), flagValue), { maxLength: 8 }),
    fc.boolean(), // start from a complete, valid set of required flags
  )
  .map(([pairs, complete]) => [
    ...(complete ? ['--from', 'KTEB', '--to', 'KPBI', '--date', futureDate(30), '--pax', '4'] : []),
    ...pairs.flatMap(([name, value]) => [`--${name}=${value}`]),
  ]);

const TRIP_START_OPTIONS = {
  ...TRIP_FLAG_OPTIONS,
  deadline: { type: 'string' },
  'on-reset': { type: 'string' },
  'callback-url': { type: 'string' },
} as const;

/** What `trip start` decides before it connects: a request, or the error it prints. */
function classify(argv: string[]): { request: TripRequest } | { error: Error } {
  try {
    const { values } = parseArgs({ args: argv, options: TRIP_START_OPTIONS, strict: true, allowPositionals: true });
    return { request: tripRequestFromFlags(values, { command: 'trip start' }) };
  } catch (error) {
    return { error: error as Error };
  }
}

describe('fuzzing trip flags', () => {
  let temporal: Awaited<ReturnType<typeof countingPort>>;
  beforeAll(async () => {
    temporal = await countingPort();
  });
  afterAll(async () => {
    await temporal?.close();
  });

  it('every flag set is either a normalized request or a usage error naming a flag; the CLI exits non-zero for the latter without touching Temporal', async () => {
    const tally = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(argvArb, async (argv) => {
        const outcome = classify(argv);
        if ('request' in outcome) {
          expectNormalized(outcome.request);
          tally.accepted += 1;
          return;
        }
        const { error } = outcome;
        const parseArgsError = /^ERR_PARSE_ARGS_/.test(String((error as { code?: unknown }).code));
        expect(error instanceof UsageError || parseArgsError, `${error.name}: ${error.message}`).toBe(true);
        expect(error.message).toMatch(/--[a-z]/);
        const run = await runCli(['trip', 'start', ...argv], {
          TEMPORAL_ADDRESS: temporal.address,
          LOG_LEVEL: 'silent',
        });
        expect(run.code).not.toBe(0);
        expect(run.stderr).toMatch(/--[a-z]/);
        expect(run.stderr).not.toMatch(STACK_LINE);
        expect(temporal.connections()).toBe(0);
        tally.refused += 1;
      }),
      { seed: SEED, numRuns: 400 },
    );
    expect(tally.refused).toBeGreaterThan(200);
    expect(tally.accepted).toBeGreaterThan(5);
  });
});

// --- the webhook receiver ------------------------------------------------------------------------

const PASSWORD = 'fuzz-webhook-password';
const API = 'http://127.0.0.1:9/api';
const config = loadConfig({
  AVINODE_BASE_URL: API,
  AVINODE_API_TOKEN: 'api-token-fuzz',
  AVINODE_CLIENT_ID: 'client-fuzz',
  AVINODE_CLIENT_SECRET: 'client-secret-fuzz',
  AVINODE_CLIENT_AUTH_METHOD: 'client_secret_post',
  WEBHOOK_USERNAME: 'avinode',
  WEBHOOK_PASSWORD: PASSWORD,
  WEBHOOK_MAX_BODY_BYTES: '4096',
});
const GOOD_AUTH = `Basic ${Buffer.from(`avinode:${PASSWORD}`).toString('base64')}`;

const idArb = fc.oneof(fc.stringMatching(/^a(rfq|quote|sellermsg|trip)-[A-Za-z0-9]{1,12}$/), nearMiss);
const hrefArb = fc.oneof(
  idArb.map((id) => `${API}/rfqs/${encodeURIComponent(String(id))}`),
  fc.constantFrom(
    'http://127.0.0.1:9/_emulator/reset',
    'https://127.0.0.1:9/api/rfqs/arfq-1',
    'http://127.0.0.1:10/api/rfqs/arfq-1',
    'http://127.0.0.1:9@attacker.example/api/rfqs/arfq-1',
    'http://127.0.0.1:9/apix/rfqs/arfq-1',
  ),
  nearMiss,
);
const payloadArb = fc.record(
  {
    id: idArb,
    href: hrefArb,
    type: fc.oneof(fc.constantFrom('rfqs', 'quotes', 'tripmsgs'), nearMiss),
    tripId: fc.oneof(fc.stringMatching(/^[A-Z0-9]{6}$/), nearMiss),
  },
  { requiredKeys: [] },
);
const bodyArb = fc.oneof(
  payloadArb.map((payload) => JSON.stringify(payload)),
  fc.json({ maxDepth: 4 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '',
    '{',
    '[]',
    'null',
    `{"id":"arfq-1","href":"${API}/rfqs/arfq-1","type":"rfqs","__proto__":{"tripId":"X"}}`,
  ),
  fc
    .integer({ min: 4_000, max: 9_000 })
    .map((size) => JSON.stringify({ id: 'arfq-1', href: `${API}/rfqs/arfq-1`, type: 'x'.repeat(size) })),
);
const requestArb = fc.record({
  method: fc.oneof(
    { weight: 4, arbitrary: fc.constant('POST') },
    { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') },
  ),
  path: fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        '/webhooks/avinode/TripRequestMine',
        '/webhooks/avinode/TripRequestSellerResponse',
        '/webhooks/avinode/TripChatFromSeller',
      ),
    },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constantFrom(
          '/webhooks/avinode/constructor',
          '/webhooks/avinode/',
          '/',
          '/webhooks/avinode/TripRequestMine/x',
        ),
        fc.webPath(),
      ),
    },
  ),
  authorization: fc.oneof(
    { weight: 4, arbitrary: fc.constant(GOOD_AUTH) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constant(undefined),
        fc.string({ unit: 'grapheme-ascii', maxLength: 40 }).map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
        fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
      ),
    },
  ),
  contentType: fc.oneof(
    { weight: 4, arbitrary: fc.constant('application/json') },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constantFrom(
          undefined,
          'application/json; charset=UTF-8',
          'application/json;charset=latin1',
          'text/json',
          'application/jsonx',
          'APPLICATION/JSON',
        ),
        fc.string({ unit: 'grapheme-ascii', maxLength: 30 }),
      ),
    },
  ),
  body: bodyArb,
});

/** Mirrors what the receiver may accept: a valid payload whose href lies under the configured API. */
function acceptable(body: string): boolean {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return false;
  }
  const parsed = WebhookPayload.safeParse(json);
  if (!parsed.success) return false;
  const href = new URL(parsed.data.href);
  return href.origin === new URL(API).origin && (href.pathname === '/api' || href.pathname.startsWith('/api/'));
}

describe('fuzzing the webhook receiver', () => {
  let receiver: RunningWebhookServer;
  const started: unknown[] = [];
  beforeAll(async () => {
    const client = {
      workflow: {
        getHandle: () => ({
          signal: async (_signal: unknown, event: unknown) => {
            started.push(event);
          },
        }),
        // Records of events about no known trip (unknownAvinodeEventWorkflow): accepted.
        start: async () => undefined,
        // Every short trip id belongs to a run: an authentic, valid payload naming one is always signalled.
        list: () =>
          (async function* () {
            yield { workflowId: 'trip-fuzz-1' };
          })(),
      },
    } as unknown as TripSignaller;
    // Messages are read (they name no trip); anything else the payload does not place is not found.
    const avinode: TripReader = {
      readByHref: async (href: string) => {
        const id = href.split('/').pop() ?? '';
        if (!/^a(seller|buyer)msg-/.test(id))
          throw Object.assign(new Error('not found'), { type: FailureType.NotFound });
        return {
          type: 'tripmsgs',
          value: { message: { messageId: id, text: '' }, raw: { id, trip: { id: 'atrip-1', tripId: 'Q1' } } },
        } as never;
      },
      readRfq: async () => {
        throw Object.assign(new Error('not found'), { type: FailureType.NotFound });
      },
      readTrip: async () => ({ trip: { id: 'atrip-1', tripId: 'Q1', externalTripId: 'trip-fuzz-1' } }) as never,
    };
    receiver = await startWebhookServer({
      config,
      client,
      avinode,
      logger: createLogger({ level: 'silent' }),
      port: 0,
    });
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('never answers 5xx, explains every refusal in JSON, and signals a trip run only for an authentic, valid payload under the API', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requestArb, async (sent) => {
        const before = started.length;
        const headers: Record<string, string> = {};
        if (sent.authorization !== undefined) headers.authorization = sent.authorization;
        if (sent.contentType !== undefined) headers['content-type'] = sent.contentType;
        const hasBody = !['GET', 'OPTIONS'].includes(sent.method);
        const response = await fetch(`${receiver.url}${sent.path}`, {
          method: sent.method,
          headers,
          ...(hasBody ? { body: sent.body } : {}),
        });
        const text = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(response.status).toBeLessThan(500);
        expect([200, 400, 401, 404, 405, 413, 415, 422]).toContain(response.status);
        const answer = JSON.parse(text) as { error?: string; ok?: boolean; outcome?: string };
        if (response.status !== 200) {
          expect(typeof answer.error).toBe('string');
          expect(answer.error!.length).toBeGreaterThan(5);
          expect(started.length).toBe(before);
          return;
        }
        expect(answer.ok).toBe(true);
        expect(sent.method).toBe('POST');
        expect(sent.authorization).toBe(GOOD_AUTH);
        expect(acceptable(sent.body)).toBe(true);
        // Handed to its run once, or acknowledged: a message redelivery, or an event about no known trip.
        expect(started.length - before).toBeLessThanOrEqual(1);
        if (started.length === before)
          expect(answer.outcome ?? 'redelivery').toMatch(/unknown_trip|not_running|redelivery/);
      }),
      { seed: SEED, numRuns: 600 },
    );
    // Every kind of answer came up, so each branch of the property was exercised.
    for (const status of [200, 401, 404, 405, 413, 415, 422])
      expect(statuses.get(status) ?? 0, `status ${status}: ${JSON.stringify([...statuses])}`).toBeGreaterThan(0);
  });
});
