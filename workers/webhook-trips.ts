// Which trip run a webhook is about, found by the receiver itself: no routing workflow per event.
// The trip run's workflow id is the `externalTripId` it gave Avinode. Chats and seller responses
// are `tripmsgs` references without a tripId (avinode-api.md §9, §13): the message is read once
// (the run gets it with the signal and never reads it again), and an in-process cache maps
// Avinode trips and RFQs to workflow ids, so an event for a known trip costs no other read.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { AvinodeClient } from '../activities/avinode/client.ts';
import { FailureType, WORKFLOW_ID_PREFIX, type AvinodeEvent, type TripMessageSnapshot } from '../workflows/contract.ts';
import { failures } from '../workflows/failures.ts';

/** The Avinode reads the receiver may make (tests pass a fake). */
export type TripReader = Pick<AvinodeClient, 'readByHref' | 'readRfq' | 'readTrip'>;

/** Visibility, only on a cold cache (once per trip and process): the run that carries this short trip id. */
export type RunFinder = (tripId: string) => Promise<string | undefined>;

export type EventTrip =
  | { outcome: 'trip'; workflowId: string; tripId?: string; atripId?: string; message?: TripMessageSnapshot }
  | { outcome: 'unknown_trip'; reason: string; tripId?: string; atripId?: string };

/** A short trip id as Avinode shows it; anything else in a payload is never put into a query. */
const PLAIN_TRIP_ID = /^[A-Za-z0-9]{1,32}$/;

/** A Map that forgets its oldest entries beyond `limit` (insertion order; a hit is re-inserted). */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly limit: number) {}
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as K);
  }
  has(key: K): boolean {
    return this.map.has(key);
  }
  get size(): number {
    return this.map.size;
  }
}

/**
 * A token bucket: the receiver's Avinode reads stay within `perSecond` (bursts up to one second's
 * worth). `take` waits for a token until `deadline`; after that it throws (the receiver answers 503
 * and Avinode redelivers). The fleet's Avinode rate is the workers' task-queue limit plus this
 * budget times the number of receivers.
 */
export class ReadBudget {
  private tokens: number;
  private last = performance.now();
  constructor(private readonly perSecond: number) {
    this.tokens = perSecond;
  }
  async take(deadline: number): Promise<void> {
    for (;;) {
      const now = performance.now();
      this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1_000) * this.perSecond);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      const waitMs = Math.ceil(((1 - this.tokens) / this.perSecond) * 1_000);
      if (now + waitMs > deadline)
        throw failures.rateLimited('the receiver’s Avinode read budget is spent (deadline)', waitMs);
      await sleep(waitMs);
    }
  }
}

function typeOf(error: unknown): string | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : undefined;
}

/** The resource cannot tell us anything (gone, refused, malformed id): the event is acknowledged as unknown. */
const UNREADABLE: ReadonlySet<string> = new Set([
  FailureType.NotFound,
  FailureType.ForeignHref,
  FailureType.RequestInvalid,
]);

export interface TripResolverOptions {
  avinode: TripReader;
  findRun?: RunFinder;
  budget: ReadBudget;
  /** Entries of the trip/RFQ → workflow id cache (default 50,000: a few MiB). */
  cacheSize?: number;
  /** Waits before asking visibility again for a run it did not show yet (default 250 ms, then 750 ms). */
  visibilityRetryMs?: readonly number[];
}

const VISIBILITY_RETRY_MS = [250, 750] as const;

export class TripResolver {
  /** `atrip-…`, short trip id or `arfq-…` → workflow id. */
  private readonly runs: BoundedMap<string, string>;
  /** Cold lookups under way, by the trip's first known id: concurrent events of one trip share one. */
  private readonly coldLookups = new Map<string, Promise<EventTrip>>();
  private readonly visibilityRetryMs: readonly number[];
  /** Avinode reads made (tests and the benchmark count them). */
  reads = 0;

  constructor(private readonly options: TripResolverOptions) {
    this.runs = new BoundedMap(options.cacheSize ?? 50_000);
    this.visibilityRetryMs = options.visibilityRetryMs ?? VISIBILITY_RETRY_MS;
  }

  private async read<T>(deadline: number, call: () => Promise<T>): Promise<T> {
    await this.options.budget.take(deadline);
    this.reads++;
    return call();
  }

  private remember(workflowId: string, ...keys: (string | undefined)[]): void {
    for (const key of keys) if (key) this.runs.set(key, workflowId);
  }

  private cached(...keys: (string | undefined)[]): string | undefined {
    for (const key of keys) {
      const hit = key ? this.runs.get(key) : undefined;
      if (hit) return hit;
    }
    return undefined;
  }

  /** The run an event is about. Throws what is worth a redelivery (Avinode or Temporal unreachable, budget spent). */
  async resolve(event: AvinodeEvent, deadline: number): Promise<EventTrip> {
    try {
      return await this.find(event, deadline);
    } catch (error) {
      const type = typeOf(error);
      if (type && UNREADABLE.has(type)) return { outcome: 'unknown_trip', reason: `resource not readable (${type})` };
      throw error;
    }
  }

  private async find(event: AvinodeEvent, deadline: number): Promise<EventTrip> {
    const { avinode } = this.options;
    let tripId = event.tripId;
    let atripId: string | undefined;
    let rfqId = event.id.startsWith('arfq-') ? event.id : undefined;
    let message: TripMessageSnapshot | undefined;
    if (!tripId || !rfqId) {
      const known = this.cached(tripId, rfqId);
      if (known && !event.href.includes('/tripmsgs/'))
        return { outcome: 'trip', workflowId: known, ...(tripId ? { tripId } : {}) };
      // A chat or seller response: the message itself names its RFQ (and trip); the run gets it with the signal.
      const resource = await this.read(deadline, () => avinode.readByHref(event.href));
      if (resource.type === 'tripmsgs') {
        message = resource.value.message;
        rfqId = message.rfqId ?? rfqId;
        atripId = resource.value.raw.trip?.id;
        tripId = resource.value.raw.trip?.tripId ?? tripId;
      } else if (resource.type === 'quotes') {
        rfqId = resource.value.quote.rfqId ?? rfqId;
      } else if (resource.type === 'rfqs') {
        rfqId = resource.value.rfq.rfqId;
        tripId = resource.value.raw.tripId ?? tripId;
        atripId = resource.value.raw.trip?.id;
      } else {
        const { trip } = resource.value;
        return this.owned(trip.externalTripId, { tripId: trip.tripId, atripId: trip.id }, rfqId);
      }
    }
    const known = this.cached(atripId, tripId, rfqId);
    if (known) {
      this.remember(known, atripId, tripId, rfqId);
      return {
        outcome: 'trip',
        workflowId: known,
        ...(tripId ? { tripId } : {}),
        ...(atripId ? { atripId } : {}),
        ...(message ? { message } : {}),
      };
    }
    // Events of one trip arrive together (an operator's answers, the RFQs sent): one cold lookup serves
    // them all. Only events that name the trip the same way share one, so none gets a poorer answer.
    const key = tripId || atripId ? `trip:${tripId ?? ''}|${atripId ?? ''}` : `rfq:${rfqId ?? event.id}`;
    let lookup = this.coldLookups.get(key);
    if (!lookup) {
      lookup = this.lookUpCold({ tripId, atripId, rfqId }, deadline).finally(() => this.coldLookups.delete(key));
      this.coldLookups.set(key, lookup);
    }
    const found = await lookup;
    if (found.outcome !== 'trip') return found;
    this.remember(found.workflowId, atripId, tripId, rfqId);
    return message ? { ...found, message } : found;
  }

  /** Cold cache: the run that carries this short trip id (its AvinodeTripId), then what Avinode says. */
  private async lookUpCold(
    ids: { tripId?: string; atripId?: string; rfqId?: string },
    deadline: number,
  ): Promise<EventTrip> {
    const { avinode } = this.options;
    let { tripId, atripId } = ids;
    const { rfqId } = ids;
    const byTripId = async (): Promise<EventTrip | undefined> => {
      const workflowId = tripId ? await this.runCarrying(tripId, deadline) : undefined;
      if (!workflowId) return undefined;
      this.remember(workflowId, atripId, tripId, rfqId);
      return { outcome: 'trip', workflowId, ...(tripId ? { tripId } : {}), ...(atripId ? { atripId } : {}) };
    };
    const listed = await byTripId();
    if (listed) return listed;
    if (!atripId && rfqId) {
      // The documented RFQ names its trip by the short tripId; the `trip` link is not always there.
      const { raw } = await this.read(deadline, () => avinode.readRfq(rfqId));
      atripId = raw.trip?.id;
      const named = raw.tripId && raw.tripId !== tripId ? raw.tripId : undefined;
      tripId = raw.tripId ?? tripId;
      const found = named ? await byTripId() : undefined;
      if (found) return found;
    }
    if (!atripId)
      return { outcome: 'unknown_trip', reason: 'no charterflow run carries this trip', ...(tripId ? { tripId } : {}) };
    const { trip } = await this.read(deadline, () => avinode.readTrip(atripId!));
    return this.owned(trip.externalTripId, { tripId: trip.tripId, atripId: trip.id }, rfqId);
  }

  /**
   * The run whose AvinodeTripId is `tripId`. Visibility trails the run's upsert by a moment, and the first
   * events of a trip (its RFQs sent) can come that soon after the create: a miss is asked again after
   * each of `visibilityRetryMs` (while the hand-off deadline allows) before Avinode is read instead.
   */
  private async runCarrying(tripId: string, deadline: number): Promise<string | undefined> {
    const { findRun } = this.options;
    if (!findRun || !PLAIN_TRIP_ID.test(tripId)) return undefined;
    for (const waitMs of [0, ...this.visibilityRetryMs]) {
      if (waitMs > 0) {
        if (performance.now() + waitMs >= deadline) return undefined;
        await sleep(waitMs);
      }
      const workflowId = await findRun(tripId);
      if (workflowId) return workflowId;
    }
    return undefined;
  }

  /** The trip's externalTripId is the run's workflow id; anything else was not created by charterflow. */
  private owned(
    externalTripId: string | undefined,
    ids: { tripId: string; atripId: string },
    rfqId: string | undefined,
  ): EventTrip {
    if (!externalTripId?.startsWith(WORKFLOW_ID_PREFIX)) {
      return {
        outcome: 'unknown_trip',
        reason: externalTripId ? 'trip was not created by charterflow' : 'trip carries no externalTripId',
        ...ids,
      };
    }
    this.remember(externalTripId, ids.atripId, ids.tripId, rfqId);
    return { outcome: 'trip', workflowId: externalTripId, ...ids };
  }
}

/** The cold-cache lookup through the `AvinodeTripId` search attribute (one list call, no retry on the hot path). */
export function runFinderOf(client: { workflow: Pick<Client['workflow'], 'list'> }): RunFinder {
  return async (tripId) => {
    if (!PLAIN_TRIP_ID.test(tripId)) return undefined;
    for await (const execution of client.workflow.list({
      query: `WorkflowType = 'charterTripWorkflow' AND AvinodeTripId = '${tripId}'`,
      pageSize: 1,
    })) {
      return execution.workflowId;
    }
    return undefined;
  };
}
