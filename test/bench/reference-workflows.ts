// The reference the goals benchmark compares charterflow with: the least Temporal work that gives a
// broker the same outcome on the same emulator. One start with an update that answers the deep link,
// one create activity, one signal per webhook, one read per burst of signals (a read in flight
// absorbs the signals that arrive meanwhile), and one update for the broker's decision with the one
// Avinode call it needs (outcome report or trip cancel). No search attributes, no details, no
// callbacks, no continue-as-new. It runs charterflow's own activities, so the Avinode work matches.
import {
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { CharterActivities } from '../../workflows/activity-types.ts';
import {
  tripCriteriaOf,
  type QuoteSnapshot,
  type RfqSnapshot,
  type TripCreated,
  type TripRequest,
} from '../../workflows/contract.ts';

const acts = proxyActivities<
  Pick<CharterActivities, 'createTrip' | 'readTripState' | 'reportTripOutcome' | 'cancelAvinodeTrip'>
>({
  startToCloseTimeout: '60 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds' },
});

export interface ReferenceProgress {
  phase: 'creating' | 'open' | 'completed' | 'cancelled';
  rfqs: number;
  lifts: number;
  answered: number;
  quotes: { quoteId: string; liftId?: string; price: number; currency: string }[];
  reads: number;
  wakes: number;
}

export const referenceGetTrip = defineUpdate<TripCreated>('referenceGetTrip');
export const referenceWake = defineSignal<[string]>('referenceWake');
export const referenceProgress = defineQuery<ReferenceProgress>('referenceProgress');
export const referenceSelect = defineUpdate<ReferenceProgress, [string]>('referenceSelect');
export const referenceCancel = defineUpdate<ReferenceProgress>('referenceCancel');

export async function referenceTripWorkflow(request: TripRequest): Promise<ReferenceProgress> {
  let trip: TripCreated | undefined = undefined;
  let phase: ReferenceProgress['phase'] = 'creating';
  let closing = false;
  let pendingWakes = 0;
  let wakes = 0;
  let reads = 0;
  let rfqs: RfqSnapshot[] = [];
  const quotes = new Map<string, QuoteSnapshot>();

  const progress = (): ReferenceProgress => {
    const lifts = rfqs.flatMap((rfq) => rfq.lifts.map((lift) => ({ rfq, lift })));
    return {
      phase,
      rfqs: rfqs.length,
      lifts: lifts.length,
      answered: lifts.filter(({ rfq, lift }) => rfq.cancelled || lift.status !== 'unanswered').length,
      quotes: [...quotes.values()].map(({ quoteId, liftId, price, currency }) => ({
        quoteId,
        ...(liftId ? { liftId } : {}),
        price,
        currency,
      })),
      reads,
      wakes,
    };
  };

  setHandler(referenceGetTrip, async () => {
    await condition(() => trip !== undefined);
    return trip!;
  });
  setHandler(referenceWake, () => {
    pendingWakes += 1;
    wakes += 1;
  });
  setHandler(referenceProgress, progress);
  setHandler(referenceSelect, async (quoteId) => {
    closing = true;
    await condition(() => trip !== undefined);
    const quote = quotes.get(quoteId);
    const liftId =
      quote?.liftId ?? rfqs.flatMap((rfq) => rfq.lifts).find((lift) => lift.quoteIds.includes(quoteId))?.liftId;
    if (!liftId)
      throw ApplicationFailure.create({
        type: 'UnknownQuote',
        message: `unknown quote ${quoteId}`,
        nonRetryable: true,
      });
    await acts.reportTripOutcome({ atripId: trip!.atripId, outcome: 'CONVERTED', winningSellerLiftId: liftId });
    phase = 'completed';
    return progress();
  });
  setHandler(referenceCancel, async () => {
    closing = true;
    await condition(() => trip !== undefined);
    await acts.cancelAvinodeTrip({ atripId: trip!.atripId, reason: 'BY_CLIENT' });
    phase = 'cancelled';
    return progress();
  });

  trip = await acts.createTrip({ request: tripCriteriaOf(request), workflowId: workflowInfo().workflowId });
  phase = 'open';
  while (!closing) {
    await condition(() => pendingWakes > 0 || closing);
    if (closing) break;
    pendingWakes = 0;
    const known = [...quotes.values()].map(({ quoteId, price, currency }) => ({ quoteId, price, currency }));
    const state = await acts.readTripState({ atripId: trip.atripId, tripId: trip.tripId, knownQuotes: known });
    reads += 1;
    rfqs = state.rfqs;
    for (const quote of state.quotes) quotes.set(quote.quoteId, quote);
  }
  await condition(() => phase === 'completed' || phase === 'cancelled');
  return progress();
}
