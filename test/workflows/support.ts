// Workflow-test harness: the real dev server, one bundle per file, a worker per test, and a fake
// Avinode behind the activity interface (deterministic, in memory, scriptable from the test).
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  Client,
  Connection,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import protoModule from '@temporalio/proto';
import { bundleWorkflowCode, NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { inject } from 'vitest';
import { waitUntil } from '../support.ts';
import { createCharterWorkers } from '../../workers/charter-workers.ts';
import type {
  AvinodeEventResolution,
  CharterActivities,
  EventTrip,
  TripState,
} from '../../workflows/activity-types.ts';
import type { charterTripWorkflow } from '../../workflows/charter-trip.ts';
import {
  FailureType,
  getProgress,
  getTrip,
  workflowIdFor,
  type AvinodeEvent,
  type CallbackEvent,
  type TripMessageSnapshot,
  type QuoteSnapshot,
  type RfqSnapshot,
  type TripCreated,
  type TripProgress,
  type TripRequest,
  type TripStarted,
  type WebhookEventType,
} from '../../workflows/contract.ts';

/** Values that must never reach a history: the fake activities hold them like real ones hold credentials. */
export const FAKE_SECRETS = {
  callbackSecret: 'cbsecret-3f9a1c7e-do-not-leak',
  accessToken: 'eyJhbGciOiJIUzI1NiJ9.fake-access-token-do-not-leak',
  apiToken: 'apitoken-5d2b8e41-do-not-leak',
  clientSecret: 'clientsecret-91bc77aa-do-not-leak',
} as const;

export const HISTORIES_DIR = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const { History } = protoModule.temporal.api.history.v1;
type HistoryMessage = ReturnType<typeof History.fromObject>;

/**
 * Fixture format: protobufjs JSON of temporal.api.history.v1.History (enums by name, bytes in base64).
 * Not the CLI's proto3 JSON: historyToJSON/historyFromJSON fail in this install because
 * @temporalio/common and @temporalio/proto each nest their own protobufjs 8 copy ("type must be a Type").
 */
export function historyToFixture(history: unknown): string {
  return JSON.stringify(History.fromObject(history as Record<string, unknown>).toJSON());
}

export function historyFromFixture(json: string): HistoryMessage {
  return History.fromObject(JSON.parse(json) as Record<string, unknown>);
}

/** The history as text with every payload decoded (payload data is binary: base64 would hide a secret). */
export function historyText(history: unknown): string {
  return JSON.stringify(history, (_key, value: unknown) =>
    value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value,
  );
}

const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

export interface TemporalEnv {
  client: Client;
  nativeConnection: NativeConnection;
  bundle: WorkflowBundleWithSourceMap;
  /** Every history fetched by `finishRun`, for the secrets scan. */
  histories: { name: string; text: string }[];
  close(): Promise<void>;
}

export async function setupTemporal(): Promise<TemporalEnv> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const client = new Client({ connection, namespace: inject('temporalNamespace') });
  const bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
    logger: quietLogger,
  });
  return {
    client,
    nativeConnection,
    bundle,
    histories: [],
    async close() {
      await nativeConnection.close();
      await connection.close();
    },
  };
}

export async function withWorker<T>(
  env: TemporalEnv,
  activities: object,
  fn: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = `wf-${randomUUID()}`;
  // Both queues, as `charterflow worker` polls them: Avinode-calling activities run on `<queue>-avinode`.
  const workers = await createCharterWorkers({
    connection: env.nativeConnection,
    namespace: inject('temporalNamespace'),
    taskQueue,
    workflowBundle: env.bundle,
    activities,
  });
  return workers.runUntil(fn(taskQueue));
}

export const FAST_TIMING = {
  pollInitialMs: 100,
  pollMaxMs: 400,
  credentialRecheckMs: 200,
  continueAsNewAfterEvents: 0,
};

export function oneWay(overrides: Partial<TripRequest> = {}): TripRequest {
  return {
    externalId: `t-${randomUUID().slice(0, 12)}`,
    legs: [{ from: 'KTEB', to: 'KPBI', date: '2027-05-14', time: '09:30', pax: 5 }],
    aircraftCategory: 'Midsize jet',
    onReset: 'recreate',
    timing: FAST_TIMING,
    ...overrides,
  };
}

export function roundTrip(overrides: Partial<TripRequest> = {}): TripRequest {
  return oneWay({
    legs: [
      { from: 'KTEB', to: 'KPBI', date: '2027-05-14', time: '09:30', pax: 5 },
      { from: 'KPBI', to: 'KTEB', date: '2027-05-18', time: '16:00', pax: 5 },
    ],
    ...overrides,
  });
}

export type TripHandle = WorkflowHandle<typeof charterTripWorkflow>;

/** What the client library does: update-with-start, USE_EXISTING, the deep link in one call. */
export async function startTrip(
  env: TemporalEnv,
  taskQueue: string,
  request: TripRequest,
): Promise<{ handle: TripHandle; started: TripStarted }> {
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof charterTripWorkflow>('charterTripWorkflow', {
    workflowId: workflowIdFor(request.externalId),
    taskQueue,
    args: [request],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  const started = await env.client.workflow.executeUpdateWithStart(getTrip, { startWorkflowOperation });
  const handle = (await startWorkflowOperation.workflowHandle()) as TripHandle;
  return { handle, started };
}

/** Polls getProgress until the predicate holds (vi.waitUntil: a timeout, then a clear failure). */
export async function waitForProgress(
  handle: TripHandle,
  predicate: (progress: TripProgress) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<TripProgress> {
  let last: TripProgress | undefined;
  const matching = async () => {
    try {
      last = await handle.query(getProgress);
      return predicate(last) ? last : undefined;
    } catch (error) {
      // The run may not exist yet (a start still on its way): keep polling; any other error fails at once.
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  };
  return waitUntil(
    matching,
    () => `${what}; last progress: phase=${last?.phase} quotes=${last?.quotes.length} rfqs=${last?.rfqs.length}`,
    { timeout: timeoutMs, interval: 50 },
  );
}

/**
 * Fetches the histories of every run of this workflow id (continue-as-new chains included) for the
 * secrets scan; with RECORD_HISTORIES=1 the latest run is also written as a replay fixture.
 */
export async function keepHistory(env: TemporalEnv, handle: WorkflowHandle, name: string): Promise<void> {
  const latest = (await handle.describe()).runId;
  const runIds = new Set<string>([latest]);
  for await (const execution of env.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` }))
    runIds.add(execution.runId);
  for (const runId of runIds) {
    const history = await env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    env.histories.push({ name: `${name}:${runId}`, text: historyText(history) });
    if (runId === latest && process.env.RECORD_HISTORIES === '1') {
      mkdirSync(HISTORIES_DIR, { recursive: true });
      writeFileSync(`${HISTORIES_DIR}${name}.json`, historyToFixture(history));
    }
  }
}

/** Which of the secrets occur in the text (expected: none). */
export function secretsIn(text: string, secrets: readonly string[] = Object.values(FAKE_SECRETS)): string[] {
  return secrets.filter((secret) => text.includes(secret));
}

// ── the fake Avinode ──────────────────────────────────────────────────────────

interface FakeRfq {
  rfqId: string;
  operator: string;
  liftId: string;
  status: 'unanswered' | 'quoted' | 'declined' | 'cancelled';
  quoteId?: string;
  messageIds: string[];
}

interface FakeTrip {
  atripId: string;
  tripId: string;
  externalTripId: string;
  rfqs: FakeRfq[];
  cancelled: boolean;
}

const OPERATORS = ['Skyward Charter', 'Blue Meridian Jets', 'Northwind Aviation', 'Coastline Air', 'Summit Executive'];

export class FakeAvinode {
  private seq = 0;
  /** Ids unique across fakes: every test of the run shares one server and its visibility store. */
  private readonly unique = randomUUID().slice(0, 6).toUpperCase();
  private readonly trips = new Map<string, FakeTrip>();
  private readonly quotes = new Map<string, QuoteSnapshot & { rfqId: string; liftId: string }>();
  readonly createCalls: string[] = [];
  readonly cancels: { atripId: string; reason: string; messageToSeller?: string }[] = [];
  readonly callbacks: CallbackEvent[] = [];
  readonly messages = new Map<string, TripMessageSnapshot>();
  readonly outcomeReports: { atripId: string; outcome: string; winningSellerLiftId: string; actAsAccount?: string }[] =
    [];
  readonly sentMessages: { rfqId: string; message: string; actAsAccount?: string }[] = [];
  readonly rfqCancels: { rfqId: string; reason: string; messageToSeller: string }[] = [];
  /** Fails every outcome report with this failure (a rejection retrying cannot fix). */
  outcomeFailure: ApplicationFailure | undefined;
  readonly calls: Record<string, number> = {};
  /** false: every Avinode call fails the way rejected credentials do. */
  credentialsOk = true;
  credentialChecks = 0;
  /** Fails createTrip with this (non-retryable) failure. */
  createFailure: ApplicationFailure | undefined;
  /** Whether the trip lookup (Avinode's undocumented search by externalTripId) answers. */
  tripLookup: 'on' | 'off' = 'on';

  private next(prefix: string): string {
    this.seq++;
    return `${prefix}${this.unique.toLowerCase()}${String(this.seq).padStart(4, '0')}`;
  }

  private count(name: string): void {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
  }

  private guard(): void {
    // Real activities would send FAKE_SECRETS.accessToken here; a rejection says why, never the token.
    if (!this.credentialsOk) {
      throw ApplicationFailure.create({
        type: FailureType.AuthRejected,
        message: 'GET /trips/{id} → 401 AUTHENTICATION_INVALID (still rejected after one token refresh)',
        nonRetryable: true,
      });
    }
  }

  trip(atripId: string): FakeTrip {
    const trip = this.trips.get(atripId);
    if (!trip) throw new Error(`fake: no trip ${atripId}`);
    return trip;
  }

  tripCount(externalTripId: string): number {
    return [...this.trips.values()].filter((trip) => trip.externalTripId === externalTripId).length;
  }

  sendRfqs(atripId: string, operators: number): string[] {
    const trip = this.trip(atripId);
    const ids: string[] = [];
    for (let i = 0; i < operators; i++) {
      const rfq: FakeRfq = {
        rfqId: this.next('arfq-'),
        operator: OPERATORS[(trip.rfqs.length + i) % OPERATORS.length]!,
        liftId: this.next('asellerlift-'),
        status: 'unanswered',
        messageIds: [],
      };
      trip.rfqs.push(rfq);
      ids.push(rfq.rfqId);
    }
    return ids;
  }

  private rfq(rfqId: string): { trip: FakeTrip; rfq: FakeRfq } {
    for (const trip of this.trips.values()) {
      const rfq = trip.rfqs.find((candidate) => candidate.rfqId === rfqId);
      if (rfq) return { trip, rfq };
    }
    throw new Error(`fake: no rfq ${rfqId}`);
  }

  quote(rfqId: string, price: number, currency = 'USD'): string {
    const { rfq } = this.rfq(rfqId);
    const quoteId = this.next('aquote-');
    rfq.status = 'quoted';
    rfq.quoteId = quoteId;
    this.quotes.set(quoteId, {
      quoteId,
      rfqId,
      liftId: rfq.liftId,
      operator: rfq.operator,
      aircraftType: 'Citation XLS+',
      aircraftCategory: 'Midsize jet',
      seats: 8,
      price,
      currency,
      updatedOn: new Date(this.seq * 1000).toISOString(),
    });
    return quoteId;
  }

  reprice(quoteId: string, price: number): void {
    const quote = this.quotes.get(quoteId)!;
    this.seq++;
    this.quotes.set(quoteId, { ...quote, price, updatedOn: new Date(this.seq * 1000).toISOString() });
  }

  /** The operator declines; with a reason, its decline message (what Avinode's decline request carries) is readable. */
  decline(rfqId: string, reason?: string, message = 'Sorry, we cannot do this one.'): string | undefined {
    const { rfq } = this.rfq(rfqId);
    rfq.status = 'declined';
    if (!reason) return undefined;
    return this.addMessage(rfq, { text: message, liftId: rfq.liftId, declineReason: reason });
  }

  /** The operator writes a chat message on the RFQ. */
  chat(rfqId: string, text: string): string {
    return this.addMessage(this.rfq(rfqId).rfq, { text });
  }

  private addMessage(rfq: FakeRfq, content: Omit<TripMessageSnapshot, 'messageId' | 'rfqId' | 'operator'>): string {
    const messageId = this.next('asellermsg-');
    this.messages.set(messageId, {
      messageId,
      rfqId: rfq.rfqId,
      operator: rfq.operator,
      direction: 'received',
      ...content,
    });
    rfq.messageIds.push(messageId);
    return messageId;
  }

  /** The weekly sandbox wipe. */
  vanish(atripId: string): void {
    this.trips.delete(atripId);
  }

  /**
   * A webhook event naming an RFQ, a quote or a message, as the receiver signals it: the payload's
   * ids, and for a message the message it read to find the trip (`withTripId: false`: a payload
   * without tripId, and nothing the receiver resolved).
   */
  event(eventType: WebhookEventType, resourceId: string, options: { withTripId?: boolean } = {}): AvinodeEvent {
    const kind = resourceId.startsWith('aquote-')
      ? 'quotes'
      : resourceId.startsWith('asellermsg-')
        ? 'tripmsgs'
        : 'rfqs';
    const rfqId =
      kind === 'quotes'
        ? this.quotes.get(resourceId)!.rfqId
        : kind === 'tripmsgs'
          ? this.messages.get(resourceId)!.rfqId!
          : resourceId;
    const { trip } = this.rfq(rfqId);
    const message = kind === 'tripmsgs' ? this.messages.get(resourceId) : undefined;
    return {
      eventType,
      id: resourceId,
      href: `https://sandbox.example/api/${kind}/${resourceId}`,
      ...(options.withTripId === false ? {} : { tripId: trip.tripId, atripId: trip.atripId }),
      ...(message && options.withTripId !== false ? { message: { ...message } } : {}),
    };
  }

  private snapshot(rfq: FakeRfq): RfqSnapshot {
    const quote = rfq.quoteId ? this.quotes.get(rfq.quoteId) : undefined;
    return {
      rfqId: rfq.rfqId,
      operator: rfq.operator,
      lifts: [
        {
          liftId: rfq.liftId,
          status: rfq.status,
          quoteIds: rfq.quoteId ? [rfq.quoteId] : [],
          ...(quote && rfq.status === 'quoted' ? { price: quote.price, currency: quote.currency } : {}),
        },
      ],
      messageIds: [...rfq.messageIds],
    };
  }

  private publicQuote(quoteId: string): QuoteSnapshot {
    return { ...this.quotes.get(quoteId)! };
  }

  activities(overrides: Partial<CharterActivities> = {}): CharterActivities {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the activity functions below are methods of `base`, not of this class
    const self = this;
    const base: CharterActivities = {
      async createTrip({ workflowId }): Promise<TripCreated> {
        self.count('createTrip');
        self.guard();
        if (self.createFailure) throw self.createFailure;
        self.createCalls.push(workflowId);
        const atripId = self.next('atrip-');
        const tripId = `T${self.unique}${self.seq}`;
        self.trips.set(atripId, { atripId, tripId, externalTripId: workflowId, rfqs: [], cancelled: false });
        return {
          atripId,
          tripId,
          href: `https://sandbox.example/api/trips/${atripId}`,
          deepLinks: {
            searchInAvinode: `https://sandbox.example/marketplace/mvc/search/load/${atripId}?source=api`,
            viewInAvinode: `https://sandbox.example/marketplace/mvc/trips/buying/${atripId}?source=api`,
          },
          reused: false,
        };
      },
      async readTripState({ atripId, knownQuotes, declinesWithoutReason, readMessageIds }): Promise<TripState> {
        self.count('readTripState');
        self.guard();
        const trip = self.trips.get(atripId);
        if (!trip)
          throw ApplicationFailure.create({
            type: FailureType.TripVanished,
            message: 'GET /rfqs/{tripId} → NOT_FOUND for a trip that existed',
            nonRetryable: true,
          });
        const known = new Map(knownQuotes.map((quote) => [quote.quoteId, quote]));
        const quotes = trip.rfqs
          .flatMap((rfq) => (rfq.quoteId ? [self.publicQuote(rfq.quoteId)] : []))
          .filter((quote) => known.get(quote.quoteId)?.price !== quote.price);
        const read = new Set(readMessageIds ?? []);
        const messages = (declinesWithoutReason ?? [])
          .flatMap(({ rfqId }) => trip.rfqs.find((rfq) => rfq.rfqId === rfqId)?.messageIds ?? [])
          .filter((id) => !read.has(id))
          .map((id) => ({ ...self.messages.get(id)! }));
        return {
          rfqs: trip.rfqs.map((rfq) => self.snapshot(rfq)),
          quotes,
          ...(declinesWithoutReason ? { messages } : {}),
        };
      },
      async resolveAvinodeEvent(event): Promise<AvinodeEventResolution> {
        self.count('resolveAvinodeEvent');
        self.guard();
        const id = event.href.split('/').at(-1)!;
        const message = self.messages.get(id);
        const rfqId = id.startsWith('aquote-') ? self.quotes.get(id)?.rfqId : message ? message.rfqId : id;
        if (!rfqId) return { quotes: [], unresolved: 'GET /quotes/{id} → 404 NOT_FOUND' };
        const found = (() => {
          try {
            return self.rfq(rfqId);
          } catch {
            return undefined;
          }
        })();
        if (!found) return { quotes: [], unresolved: 'GET /rfqs/{id} → 404 NOT_FOUND' };
        const { trip, rfq } = found;
        return {
          tripId: trip.tripId,
          atripId: trip.atripId,
          rfq: self.snapshot(rfq),
          quotes: rfq.quoteId ? [self.publicQuote(rfq.quoteId)] : [],
          ...(message ? { message: { ...message } } : {}),
        };
      },
      async findTripOfEvent(event): Promise<EventTrip> {
        self.count('findTripOfEvent');
        const trip = [...self.trips.values()].find((candidate) => candidate.tripId === event.tripId);
        if (!trip) return { unresolved: `GET /trips/{id} → 404 NOT_FOUND` };
        return { externalTripId: trip.externalTripId, tripId: trip.tripId, atripId: trip.atripId };
      },
      async findDuplicateTrips({ workflowId, keepAtripId, candidate, lookup = true }) {
        self.count('findDuplicateTrips');
        self.guard();
        const isDuplicate = (trip: { atripId: string; externalTripId: string; cancelled: boolean }) =>
          trip.externalTripId === workflowId && !trip.cancelled && trip.atripId !== keepAtripId;
        const found = new Map<string, { atripId: string; tripId: string }>();
        const named = candidate ? self.trips.get(candidate.atripId) : undefined;
        if (named && isDuplicate(named)) found.set(named.atripId, { atripId: named.atripId, tripId: named.tripId });
        if (lookup && self.tripLookup === 'on') {
          for (const trip of self.trips.values())
            if (isDuplicate(trip)) found.set(trip.atripId, { atripId: trip.atripId, tripId: trip.tripId });
        }
        return {
          duplicates: [...found.values()],
          ...(lookup ? { lookup: self.tripLookup === 'on' ? ('answered' as const) : ('unavailable' as const) } : {}),
        };
      },
      async cancelAvinodeTrip({ atripId, reason, messageToSeller }) {
        self.count('cancelAvinodeTrip');
        self.guard();
        self.cancels.push({ atripId, reason, ...(messageToSeller ? { messageToSeller } : {}) });
        const trip = self.trips.get(atripId);
        if (!trip) return { status: 'vanished' as const };
        trip.cancelled = true;
        return { status: 200 };
      },
      async reportTripOutcome({ atripId, outcome, winningSellerLiftId, actAsAccount }) {
        self.count('reportTripOutcome');
        self.guard();
        if (self.outcomeFailure) throw self.outcomeFailure;
        if (!self.trips.has(atripId))
          throw ApplicationFailure.create({
            type: FailureType.NotFound,
            message: 'PUT /trips/{id}/outcome → 404 NOT_FOUND',
            nonRetryable: true,
          });
        self.outcomeReports.push({ atripId, outcome, winningSellerLiftId, ...(actAsAccount ? { actAsAccount } : {}) });
        return { status: 200 };
      },
      async sendTripMessage({ rfqId, message, actAsAccount }) {
        self.count('sendTripMessage');
        self.guard();
        const { rfq } = self.rfq(rfqId);
        self.sentMessages.push({ rfqId, message, ...(actAsAccount ? { actAsAccount } : {}) });
        const messageId = self.next('abuyermsg-');
        rfq.messageIds.push(messageId);
        return { messageId, createdOn: new Date().toISOString() };
      },
      async cancelRfq({ rfqId, reason, messageToSeller }) {
        self.count('cancelRfq');
        self.guard();
        self.rfqCancels.push({ rfqId, reason, messageToSeller });
        return { status: 200 };
      },
      async checkCredentials() {
        self.credentialChecks++;
        return self.credentialsOk
          ? { ok: true as const }
          : { ok: false as const, explanation: 'token endpoint answered 401 invalid_client (client_secret_post)' };
      },
      async deliverCallback({ event }) {
        self.count('deliverCallback');
        self.callbacks.push(event);
        return { status: 204 };
      },
    };
    return { ...base, ...overrides };
  }
}
