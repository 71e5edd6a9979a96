// `trip watch` prints what changed, one line each, not the same status line again.
import { describe, expect, it } from 'vitest';
import type { TripProgress } from '../../../workflows/contract.ts';
import { describeChanges } from '../../../client/trip-changes.ts';

function progress(overrides: Partial<TripProgress> = {}): TripProgress {
  return {
    workflowId: 'trip-crm-1',
    externalId: 'crm-1',
    phase: 'collecting_quotes',
    route: 'KTEB-KPBI',
    tripId: 'Q4K7ZP',
    atripId: 'atrip-1001',
    rfqs: [],
    quotes: [],
    declines: [],
    messages: [],
    counts: { rfqs: 0, lifts: 0, answered: 0, quotes: 0, declines: 0, polls: 0, webhooks: 0 },
    resets: 0,
    phaseHistory: [],
    continuedAsNew: 0,
    ...overrides,
  };
}

const rfq = { rfqId: 'arfq-1', operator: 'Example Air Charter', lifts: [], messageIds: [] };
const quote = {
  quoteId: 'aquote-1',
  rfqId: 'arfq-1',
  operator: 'Example Air Charter',
  aircraftType: 'Citation XLS+',
  aircraftTail: 'N123EX',
  price: 21_900,
  currency: 'USD',
  firstSeenAt: 'x',
  priceHistory: [],
};

describe('describeChanges', () => {
  it('names each new RFQ, quote, re-price, decline reason and message once', () => {
    const start = progress();
    const sent = progress({ rfqs: [rfq] });
    expect(describeChanges(start, sent)).toEqual(['RFQ sent to Example Air Charter (arfq-1)']);
    const quoted = progress({ rfqs: [rfq], quotes: [quote] });
    expect(describeChanges(sent, quoted)).toEqual([
      'quote 21,900 USD from Example Air Charter (Citation XLS+ N123EX) — aquote-1',
    ]);
    const repriced = progress({
      rfqs: [rfq],
      quotes: [{ ...quote, price: 20_500, priceHistory: [{ price: 21_900, currency: 'USD', seenAt: 'y' }] }],
    });
    expect(describeChanges(quoted, repriced)).toEqual([
      're-priced 21,900 → 20,500 USD by Example Air Charter — aquote-1',
    ]);
    expect(describeChanges(repriced, repriced)).toEqual([]);

    const declined = progress({
      declines: [{ rfqId: 'arfq-2', liftId: 'asellerlift-2', operator: 'Coastline Air', seenAt: 'x' }],
    });
    expect(describeChanges(start, declined)).toEqual(['declined by Coastline Air']);
    const reasoned = progress({
      declines: [{ ...declined.declines[0]!, declineReason: 'CREW_NOT_AVAILABLE', message: 'No crew.' }],
    });
    expect(describeChanges(declined, reasoned)).toEqual([
      'decline reason from Coastline Air (crew not available) “No crew.”',
    ]);

    const chat = progress({
      messages: [
        { messageId: 'asellermsg-9', direction: 'received', operator: 'Coastline Air', rfqId: 'arfq-2', text: 'Pets?' },
      ],
    });
    expect(describeChanges(start, chat)).toEqual(['message from Coastline Air: “Pets?”']);
  });

  it('announces the wait for the broker, the outcome report and the end', () => {
    const waiting = progress({
      phase: 'awaiting_selection',
      phaseHistory: [{ phase: 'awaiting_selection', at: 'x', reason: 'every lift answered' }],
    });
    expect(describeChanges(progress(), waiting)).toEqual([
      'phase collecting_quotes → awaiting_selection (every lift answered)',
    ]);
    const done = progress({
      phase: 'completed',
      selectedQuoteId: 'aquote-1',
      outcomeReport: {
        outcome: 'CONVERTED',
        quoteId: 'aquote-1',
        winningSellerLiftId: 'asellerlift-1',
        status: 'reported',
        at: 'x',
      },
      endReason: 'quote aquote-1 selected',
    });
    expect(describeChanges(waiting, done)).toEqual([
      'phase awaiting_selection → completed',
      'outcome CONVERTED reported to Avinode (winning lift asellerlift-1)',
      'ended: quote aquote-1 selected',
    ]);
  });
});
