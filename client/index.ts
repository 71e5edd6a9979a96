// CharterClient: what a broker's backend imports to run charter requests on Temporal.
import {
  Client,
  Connection,
  WithStartWorkflowOperation,
  type TLSConfig,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { loadPayloadEncryption } from '../platform/config.ts';
import { payloadCodecsFor } from '../platform/payload-codec.ts';
import {
  cancelTrip,
  DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS,
  DEFAULT_TASK_QUEUE,
  extendDeadline,
  getProgress,
  getTrip,
  routeOf,
  SearchAttributes,
  selectQuote,
  sendMessage,
  TERMINAL_PHASES,
  TRIP_PHASES,
  workflowIdFor,
  type CancelReason,
  type TripPhase,
  type TripProgress,
  type TripRequest,
  type TripStarted,
} from '../workflows/contract.ts';
import type { charterTripWorkflow } from '../workflows/charter-trip.ts';
import { avinodeTaskQueueOf } from '../workflows/contract.ts';
import { tripSummary } from '../workflows/presentation.ts';
import { parseTripRequest, TripRequestInvalid } from './trip-request.ts';

export { parseTripRequest, TripRequestInvalid } from './trip-request.ts';
// For backends that build their own Client: `dataConverter: { payloadCodecs: payloadCodecsFor(loadPayloadEncryption()) }`.
export { loadPayloadEncryption, type PayloadEncryptionConfig } from '../platform/config.ts';
export { EncryptionCodec, PayloadDecryptionError, payloadCodecsFor } from '../platform/payload-codec.ts';
export { temporalConnectionOptions } from '../platform/temporal-connection.ts';
export type { TripProgress, TripRequest, TripStarted, TripPhase, CancelReason } from '../workflows/contract.ts';

/** Input of startTrip: a TripRequest whose onReset may be omitted (default recreate). */
export type StartTripInput = Omit<TripRequest, 'onReset'> & { onReset?: TripRequest['onReset'] };

export interface TripListing {
  workflowId: string;
  externalId: string;
  runId: string;
  status: string;
  phase?: TripPhase;
  route?: string;
  avinodeTripId?: string;
  quoteCount?: number;
  departureDate?: string;
  startTime: string;
}

export interface CharterClientOptions {
  taskQueue?: string;
  /**
   * `timing.continueAsNewAfterEvents` written into requests that set none (TRIP_CONTINUE_AS_NEW_AFTER_EVENTS;
   * default 1,500; 0: only when the server suggests). Fixed in the run's input, so replays agree.
   */
  continueAsNewAfterEvents?: number;
  /**
   * AVINODE_TASK_QUEUE, when the workers poll an Avinode queue other than `<taskQueue>-avinode`: the
   * runs this client starts schedule their Avinode calls there.
   */
  avinodeTaskQueue?: string;
  /** Clock for validation (dates in the past); tests pin it. */
  now?: () => number;
}

function staticDetailsOf(request: TripRequest): string {
  const rows = request.legs.map(
    (leg, i) =>
      `| ${i + 1} | ${leg.from} | ${leg.to} | ${leg.date} ${leg.time ?? 'TBD'}${leg.time && leg.arrival ? ' (arrival)' : ''}${leg.time && leg.utc ? ' UTC' : ''} | ${leg.paxTBD ? 'TBD' : leg.pax} |`,
  );
  return [
    `**Charter request ${request.externalId}**${request.aircraftCategory ? ` · ${request.aircraftCategory}` : ''}`,
    '',
    '| Leg | From | To | Departure (local) | Pax |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `On sandbox reset: ${request.onReset}.${request.quoteDeadline ? ` Quote deadline ${request.quoteDeadline}.` : ''}`,
  ].join('\n');
}

export class CharterClient {
  readonly taskQueue: string;
  private readonly now: () => number;
  private readonly continueAsNewAfterEvents: number;
  private readonly avinodeTaskQueue: string | undefined;

  constructor(
    readonly client: Client,
    options: CharterClientOptions = {},
    private readonly ownedConnection?: Connection,
  ) {
    this.taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
    this.now = options.now ?? Date.now;
    this.continueAsNewAfterEvents = options.continueAsNewAfterEvents ?? DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS;
    // Runs derive `<task queue>-avinode` themselves; only another name travels in their input.
    this.avinodeTaskQueue =
      options.avinodeTaskQueue !== undefined && options.avinodeTaskQueue !== avinodeTaskQueueOf(this.taskQueue)
        ? options.avinodeTaskQueue
        : undefined;
  }

  /**
   * Connects with the payload codec of the workers: `payloadCodecs` when given (`[]` for none),
   * otherwise the one PAYLOAD_ENCRYPTION_KEY / _KEY_ID / PAYLOAD_DECRYPTION_KEYS describe in `env`
   * (default process.env; none when unset), validated like the worker's configuration.
   */
  static async connect(
    options: {
      address?: string;
      namespace?: string;
      /** Temporal Cloud or a secured cluster (see temporalConnectionOptions for the environment's settings). */
      apiKey?: string;
      tls?: TLSConfig | boolean;
      payloadCodecs?: PayloadCodec[];
      env?: NodeJS.ProcessEnv;
    } & CharterClientOptions = {},
  ): Promise<CharterClient> {
    const payloadCodecs = options.payloadCodecs ?? payloadCodecsFor(loadPayloadEncryption(options.env ?? process.env));
    const connection = await Connection.connect({
      address: options.address ?? '127.0.0.1:7233',
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
    });
    return new CharterClient(
      new Client({ connection, namespace: options.namespace ?? 'default', dataConverter: { payloadCodecs } }),
      options,
      connection,
    );
  }

  async close(): Promise<void> {
    await this.ownedConnection?.close();
  }

  /**
   * Validates the request (throws TripRequestInvalid naming each bad field; nothing starts), then
   * starts the run or attaches to the running one, and returns as soon as the Avinode trip exists.
   */
  async startTrip(input: StartTripInput): Promise<TripStarted> {
    const parsed = parseTripRequest(input, this.now());
    const request: TripRequest =
      parsed.timing?.continueAsNewAfterEvents === undefined
        ? { ...parsed, timing: { ...parsed.timing, continueAsNewAfterEvents: this.continueAsNewAfterEvents } }
        : parsed;
    const first = request.legs[0]!;
    const departure = new Date(`${first.date}T${first.time ?? '00:00'}:00Z`);
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof charterTripWorkflow>('charterTripWorkflow', {
      workflowId: workflowIdFor(request.externalId),
      taskQueue: this.taskQueue,
      args: [this.avinodeTaskQueue ? { ...request, avinodeTaskQueue: this.avinodeTaskQueue } : request],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // An ended run is not started again: that would create a second Avinode trip for the same request.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: tripSummary(request),
      staticDetails: staticDetailsOf(request),
      typedSearchAttributes: [
        { key: SearchAttributes.TripPhase, value: 'creating_trip' },
        { key: SearchAttributes.Route, value: routeOf(request.legs) },
        { key: SearchAttributes.DepartureDate, value: departure },
        { key: SearchAttributes.QuoteCount, value: 0 },
      ],
    });
    try {
      return await this.client.workflow.executeUpdateWithStart(getTrip, { startWorkflowOperation });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      // The run for this externalId already ended: answer with the trip it created.
      const progress = await this.getProgress(request.externalId);
      if (!progress.atripId || !progress.tripId) throw error;
      return {
        workflowId: progress.workflowId,
        atripId: progress.atripId,
        tripId: progress.tripId,
        href: progress.deepLinks?.cancel?.replace(/\/cancel$/, '') ?? '',
        deepLinks: progress.deepLinks ?? {},
        reused: true,
      };
    }
  }

  private handle(externalId: string) {
    return this.client.workflow.getHandle(workflowIdFor(externalId));
  }

  /** Progress of a run; a finished run answers from its result (queries need no open run then). */
  async getProgress(externalId: string): Promise<TripProgress> {
    const handle = this.handle(externalId);
    const description = await handle.describe();
    if (description.status.name === 'RUNNING') return await handle.query(getProgress);
    try {
      return (await handle.result()) as TripProgress;
    } catch {
      return await handle.query(getProgress);
    }
  }

  /** Yields progress whenever it changes, until the run reaches a terminal phase. */
  async *watch(
    externalId: string,
    { intervalMs = 1_000, signal }: { intervalMs?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<TripProgress> {
    let last = '';
    while (!signal?.aborted) {
      const progress = await this.getProgress(externalId);
      const fingerprint = JSON.stringify(progress);
      if (fingerprint !== last) {
        last = fingerprint;
        yield progress;
      }
      if (TERMINAL_PHASES.includes(progress.phase)) return;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  async cancelTrip(
    externalId: string,
    input: { reason: CancelReason; messageToSeller?: string },
  ): Promise<TripProgress> {
    return await this.handle(externalId).executeUpdate(cancelTrip, { args: [input] });
  }

  /**
   * The broker's choice: the run reports it to Avinode (outcome CONVERTED, the quote's lift) and ends
   * `completed`; `closeOtherRequests` also cancels the other RFQs. An unknown, declined or vanished
   * quote is rejected with an error naming the quotes the run knows.
   */
  async selectQuote(
    externalId: string,
    quoteId: string,
    options: { closeOtherRequests?: boolean } = {},
  ): Promise<TripProgress> {
    return await this.handle(externalId).executeUpdate(selectQuote, {
      args: [{ quoteId, ...(options.closeOtherRequests ? { closeOtherRequests: true } : {}) }],
    });
  }

  /** A chat to the operator of one RFQ, sent as the request's broker; it appears in `progress.messages`. */
  async sendMessage(externalId: string, rfqId: string, message: string): Promise<TripProgress> {
    return await this.handle(externalId).executeUpdate(sendMessage, { args: [{ rfqId, message }] });
  }

  async extendDeadline(externalId: string, until: Date | string): Promise<TripProgress> {
    return await this.handle(externalId).executeUpdate(extendDeadline, {
      args: [{ until: new Date(until).toISOString() }],
    });
  }

  async listTrips({ phase, limit = 100 }: { phase?: TripPhase; limit?: number } = {}): Promise<TripListing[]> {
    if (phase !== undefined && !TRIP_PHASES.includes(phase))
      throw new TripRequestInvalid([{ path: 'phase', message: `must be one of ${TRIP_PHASES.join(', ')}` }]);
    const query = `WorkflowType = 'charterTripWorkflow'${phase ? ` AND TripPhase = '${phase}'` : ''}`;
    const out: TripListing[] = [];
    for await (const execution of this.client.workflow.list({ query })) {
      out.push(listingOf(execution));
      if (out.length >= limit) break;
    }
    return out;
  }
}

function listingOf(execution: WorkflowExecutionInfo): TripListing {
  const attributes = execution.typedSearchAttributes;
  const departure = attributes.get(SearchAttributes.DepartureDate);
  const phase = attributes.get(SearchAttributes.TripPhase) as TripPhase | undefined;
  const route = attributes.get(SearchAttributes.Route);
  const avinodeTripId = attributes.get(SearchAttributes.AvinodeTripId);
  const quoteCount = attributes.get(SearchAttributes.QuoteCount);
  return {
    workflowId: execution.workflowId,
    externalId: execution.workflowId.replace(/^trip-/, ''),
    runId: execution.runId,
    status: execution.status.name,
    ...(phase ? { phase } : {}),
    ...(route ? { route } : {}),
    ...(avinodeTripId ? { avinodeTripId } : {}),
    ...(quoteCount !== undefined ? { quoteCount } : {}),
    ...(departure ? { departureDate: departure.toISOString() } : {}),
    startTime: execution.startTime.toISOString(),
  };
}
