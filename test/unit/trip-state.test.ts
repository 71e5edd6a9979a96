// The trip's state rules without a Temporal server: the module is plain TypeScript, so these tests
// build a state, feed it what Avinode reports and read the projection and the carried state.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { AvinodeEvent, LiftSnapshot, QuoteRecord, RfqSnapshot, TripRequest } from '../../workflows/contract.ts';
import { TripRunState, type TripRunStateInit } from '../../workflows/trip-state.ts';

const START = Date.parse('2027-05-10T12:00:00Z');
const request: TripRequest = {
  externalId: 'crm-1',
  legs: [{ from: 'KTEB', to: 'KPBI', date: '2027-05-14', time: '09:30', pax: 5 }],
  onReset: 'recreate',
};
const trip = {
  atripId: 'atrip-1001',
  tripId: 'Q4K7ZP',
  href: 'https://avinode.example/trips/atrip-1001',
  deepLinks: { searchInAvinode: 'https://avinode.example/s/1' },
  reused: false,
};

function state(overrides: Partial<TripRunStateInit> = {}, decisionStage = true): TripRunState {
  const created = new TripRunState({
    workflowId: 'trip-crm-1',
    request,
    pollIntervalMs: 30_000,
    nowMs: START,
    ...overrides,
  });
  created.decisionStage = decisionStage;
  return created;
}

function lift(liftId: string, status: LiftSnapshot['status'] = 'unanswered', quoteIds: string[] = []): LiftSnapshot {
  return { liftId, status, quoteIds };
}

function rfq(rfqId: string, lifts: LiftSnapshot[], extra: Partial<RfqSnapshot> = {}): RfqSnapshot {
  return { rfqId, operator: `Operator of ${rfqId}`, lifts, messageIds: [], ...extra };
}

function quoteRecord(quoteId: string, extra: Partial<QuoteRecord> = {}): QuoteRecord {
  return {
    quoteId,
    rfqId: 'arfq-1',
    liftId: 'asellerlift-1',
    operator: 'Operator of arfq-1',
    price: 21_900,
    currency: 'USD',
    firstSeenAt: '2027-05-10T12:05:00.000Z',
    priceHistory: [],
    ...extra,
  };
}

describe('the trip state module', () => {
  it('loads without @temporalio/workflow, so it runs outside a workflow', async () => {
    vi.resetModules();
    vi.doMock('@temporalio/workflow', () => {
      throw new Error('the state module must not load @temporalio/workflow');
    });
    try {
      const loaded = await import('../../workflows/trip-state.ts');
      expect(
        new loaded.TripRunState({ workflowId: 'trip-crm-1', request, pollIntervalMs: 1, nowMs: START }).progress()
          .phase,
      ).toBe('creating_trip');
    } finally {
      vi.doUnmock('@temporalio/workflow');
      vi.resetModules();
    }
  });
});

describe('a fresh run', () => {
  it('is creating its trip, with the first poll one interval after the start and the request’s quote deadline', () => {
    const fresh = state({ request: { ...request, quoteDeadline: '2027-05-12T18:00:00Z' } });
    expect(fresh.phase).toBe('creating_trip');
    expect(fresh.nextPollAtMs).toBe(START + 30_000);
    expect(fresh.progress()).toMatchObject({
      workflowId: 'trip-crm-1',
      externalId: 'crm-1',
      route: 'KTEB-KPBI',
      quoteDeadline: '2027-05-12T18:00:00.000Z',
      continuedAsNew: 0,
    });
  });

  it('ignores a quote deadline that is not an instant', () => {
    expect(state({ request: { ...request, quoteDeadline: 'next Friday' } }).quoteDeadlineMs).toBeUndefined();
  });
});

describe('the progress projection', () => {
  it('counts the lifts of a cancelled RFQ as answered, and only live quotes', () => {
    const s = state();
    s.rfqs.set('arfq-1', rfq('arfq-1', [lift('asellerlift-1', 'quoted', ['aquote-1']), lift('asellerlift-2')]));
    s.rfqs.set('arfq-2', rfq('arfq-2', [lift('asellerlift-3')], { cancelled: { by: 'broker' } }));
    s.quotes.set('aquote-1', quoteRecord('aquote-1'));
    s.quotes.set('aquote-0', quoteRecord('aquote-0', { vanishedAt: '2027-05-10T13:00:00.000Z' }));
    expect(s.progress().counts).toEqual({
      rfqs: 2,
      lifts: 3,
      answered: 2,
      quotes: 1,
      declines: 0,
      polls: 0,
      webhooks: 0,
    });
    expect(s.progress().quotes.map((quote) => quote.quoteId)).toEqual(['aquote-1', 'aquote-0']);
  });

  it('shows the next poll only while the run has an open trip and is not blocked', () => {
    const s = state();
    expect(s.progress().nextPollAt).toBeUndefined();
    s.trip = trip;
    s.phase = 'collecting_quotes';
    expect(s.progress().nextPollAt).toBe(new Date(START + 30_000).toISOString());
    s.phase = 'blocked';
    expect(s.progress().nextPollAt).toBeUndefined();
    s.phase = 'completed';
    expect(s.progress().nextPollAt).toBeUndefined();
  });

  it('notes that every operator declined when every lift is answered and no quote is left to select', () => {
    const s = state();
    s.phase = 'collecting_quotes';
    s.rfqs.set('arfq-1', rfq('arfq-1', [lift('asellerlift-1', 'declined')]));
    expect(s.progress().note).toMatch(/every operator declined/);
    s.quotes.set('aquote-9', quoteRecord('aquote-9', { rfqId: 'arfq-2', liftId: 'asellerlift-9' }));
    expect(s.progress().note).toBeUndefined();
  });

  it('adds no decline note to runs recorded before the decision stage', () => {
    const s = state({}, false);
    s.phase = 'collecting_quotes';
    s.rfqs.set('arfq-1', rfq('arfq-1', [lift('asellerlift-1', 'declined')]));
    expect(s.progress().note).toBeUndefined();
  });
});

describe('answers', () => {
  it('a run with no RFQ yet has not had every lift answered', () => {
    expect(state().allLiftsAnswered()).toBe(false);
    expect(state().allRequestsCancelled()).toBe(false);
  });

  it('an RFQ requesting no lift is answered by a quote on the RFQ itself (decision stage)', () => {
    const s = state();
    s.rfqs.set('arfq-1', rfq('arfq-1', []));
    expect(s.allLiftsAnswered()).toBe(false);
    s.rfqs.set('arfq-1', rfq('arfq-1', [], { quoteIds: ['aquote-1'] }));
    expect(s.allLiftsAnswered()).toBe(true);
  });

  it('runs recorded before the decision stage count lifts only', () => {
    const s = state({}, false);
    s.rfqs.set('arfq-1', rfq('arfq-1', [], { quoteIds: ['aquote-1'] }));
    expect(s.allLiftsAnswered()).toBe(false);
    s.rfqs.set('arfq-2', rfq('arfq-2', [lift('asellerlift-2', 'declined')]));
    expect(s.allLiftsAnswered()).toBe(true);
  });

  it('a cancelled RFQ counts as answered, and every RFQ cancelled is noticed', () => {
    const s = state();
    s.rfqs.set('arfq-1', rfq('arfq-1', [lift('asellerlift-1')], { cancelled: { by: 'broker', reason: 'CHANGED' } }));
    expect(s.allLiftsAnswered()).toBe(true);
    expect(s.allRequestsCancelled()).toBe(true);
    s.rfqs.set('arfq-2', rfq('arfq-2', [lift('asellerlift-2', 'quoted')]));
    expect(s.allRequestsCancelled()).toBe(false);
  });

  it('a quote on a lift the operator has since declined, or from a vanished trip, cannot be selected', () => {
    const s = state();
    s.rfqs.set(
      'arfq-1',
      rfq('arfq-1', [lift('asellerlift-1', 'declined', ['aquote-1']), lift('asellerlift-2', 'quoted', ['aquote-2'])]),
    );
    s.quotes.set('aquote-1', quoteRecord('aquote-1'));
    s.quotes.set('aquote-2', quoteRecord('aquote-2', { liftId: 'asellerlift-2' }));
    s.quotes.set(
      'aquote-3',
      quoteRecord('aquote-3', { liftId: 'asellerlift-2', vanishedAt: '2027-05-10T13:00:00.000Z' }),
    );
    expect(s.selectableQuotes().map((quote) => quote.quoteId)).toEqual(['aquote-2']);
  });

  it('finds the lift and the RFQ of a quote that names neither, through the lift’s quote ids', () => {
    const s = state();
    s.rfqs.set('arfq-1', rfq('arfq-1', [lift('asellerlift-1')]));
    s.rfqs.set('arfq-2', rfq('arfq-2', [lift('asellerlift-2', 'quoted', ['aquote-2'])]));
    const { rfqId: _rfqId, liftId: _liftId, ...anonymous } = quoteRecord('aquote-2');
    expect(s.winningLiftIdOf(anonymous)).toBe('asellerlift-2');
    expect(s.rfqOf(anonymous)?.rfqId).toBe('arfq-2');
    expect(s.rfqOf(quoteRecord('aquote-2', { rfqId: 'arfq-1' }))?.rfqId).toBe('arfq-1');
  });
});

describe('where the answers take the run', () => {
  function answered(decisionStage = true, extra: Partial<TripRequest> = {}): TripRunState {
    const s = state({ request: { ...request, ...extra } }, decisionStage);
    s.trip = trip;
    s.phase = 'collecting_quotes';
    s.recordRfq(rfq('arfq-1', [lift('asellerlift-1')]), NOW);
    s.recordRfq(rfq('arfq-2', [lift('asellerlift-2', 'declined')]), NOW);
    s.recordQuote(quote('aquote-1'), NOW);
    return s;
  }

  it('every lift answered with a live quote: the broker is asked to select', () => {
    expect(answered().answersCallFor()).toEqual({
      phase: 'awaiting_selection',
      reason: 'every lift answered; waiting for the broker to select a quote',
    });
  });

  it('a lift still unanswered: the run keeps collecting', () => {
    const s = answered();
    s.recordRfq(rfq('arfq-3', [lift('asellerlift-3')]), NOW);
    expect(s.answersCallFor()).toBeUndefined();
  });

  it('every lift answered and every one declined: the run keeps collecting until the deadline', () => {
    const s = state();
    s.phase = 'collecting_quotes';
    s.recordRfq(rfq('arfq-2', [lift('asellerlift-2', 'declined')]), NOW);
    expect(s.answersCallFor()).toBeUndefined();
  });

  it('awaiting a selection, a new RFQ sends the run back to collecting', () => {
    const s = answered();
    s.phase = 'awaiting_selection';
    s.recordRfq(rfq('arfq-3', [lift('asellerlift-3')]), NOW);
    expect(s.answersCallFor()).toEqual({ phase: 'collecting_quotes', reason: 'a new RFQ went out' });
  });

  it('awaiting a selection, the last live quote declined sends the run back to collecting', () => {
    const s = answered();
    s.phase = 'awaiting_selection';
    s.recordRfq(rfq('arfq-1', [lift('asellerlift-1', 'declined')]), LATER);
    expect(s.answersCallFor()).toEqual({ phase: 'collecting_quotes', reason: 'no live quote left' });
  });

  it('every RFQ cancelled in Avinode ends the run cancelled, naming the reasons once', () => {
    const s = state();
    s.phase = 'awaiting_selection';
    s.recordRfq(
      rfq('arfq-1', [lift('asellerlift-1', 'quoted')], { cancelled: { by: 'broker', reason: 'CHANGED' } }),
      NOW,
    );
    s.recordRfq(rfq('arfq-2', [lift('asellerlift-2')], { cancelled: { by: 'broker', reason: 'CHANGED' } }), NOW);
    s.recordRfq(rfq('arfq-3', [lift('asellerlift-3')], { cancelled: { by: 'broker' } }), NOW);
    expect(s.answersCallFor()).toEqual({ end: 'cancelled', reason: 'every RFQ was cancelled in Avinode (CHANGED)' });
  });

  it('a run neither collecting nor awaiting a selection is not moved by answers', () => {
    const s = answered();
    s.phase = 'blocked';
    expect(s.answersCallFor()).toBeUndefined();
  });

  it('with endWhenAllAnswered, and in runs recorded before the decision stage, every lift answered completes the run', () => {
    expect(answered(true, { endWhenAllAnswered: true }).answersCallFor()).toEqual({
      end: 'completed',
      reason: 'all lifts answered',
    });
    expect(answered(false).answersCallFor()).toEqual({ end: 'completed', reason: 'all lifts answered' });
  });
});

describe('selection and resets', () => {
  it('a selection closes every other open RFQ, not the winner’s nor those already cancelled', () => {
    const s = state();
    s.recordRfq(rfq('arfq-1', [lift('asellerlift-1', 'quoted', ['aquote-1'])]), NOW);
    s.recordRfq(rfq('arfq-2', [lift('asellerlift-2', 'quoted', ['aquote-2'])]), NOW);
    s.recordRfq(rfq('arfq-3', [lift('asellerlift-3')], { cancelled: { by: 'broker' } }), NOW);
    s.recordRfq(rfq('arfq-4', [lift('asellerlift-4', 'cancelled')]), NOW);
    s.recordRfq(rfq('arfq-5', [lift('asellerlift-5', 'declined')]), NOW);
    expect(s.otherOpenRfqs(quote('aquote-1')).map((other) => other.rfqId)).toEqual(['arfq-2', 'arfq-5']);
  });

  it('a vanished trip keeps its quotes on the record, none selectable, and forgets its RFQs', () => {
    const s = state();
    s.trip = trip;
    s.recordRfq(rfq('arfq-1', [lift('asellerlift-1')]), NOW);
    s.recordQuote(quote('aquote-1'), NOW);
    s.quotes.set('aquote-0', quoteRecord('aquote-0', { vanishedAt: NOW }));
    s.forgetVanishedTrip(LATER);
    expect(s.resets).toBe(1);
    expect(s.trip).toBeUndefined();
    expect(s.rfqs.size).toBe(0);
    expect([...s.quotes.values()].map((known) => [known.quoteId, known.vanishedAt])).toEqual([
      ['aquote-1', LATER],
      ['aquote-0', NOW],
    ]);
    expect(s.selectableQuotes()).toEqual([]);
    expect(s.progress().counts.quotes).toBe(0);
  });
});

describe('carry and restore across continue-as-new', () => {
  function busy(): TripRunState {
    const s = state({
      request: { ...request, quoteDeadline: '2027-05-12T18:00:00Z', callbackUrl: 'https://hooks.example/cb' },
    });
    s.phase = 'awaiting_selection';
    s.phaseHistory = [
      { phase: 'creating_trip', at: '2027-05-10T12:00:00.000Z' },
      { phase: 'awaiting_selection', at: '2027-05-10T14:00:00.000Z', reason: 'every lift answered' },
    ];
    s.trip = trip;
    s.rfqs.set(
      'arfq-1',
      rfq('arfq-1', [lift('asellerlift-1', 'quoted', ['aquote-1'])], { messageIds: ['asellermsg-1'] }),
    );
    s.quotes.set(
      'aquote-1',
      quoteRecord('aquote-1', {
        priceHistory: [{ price: 23_000, currency: 'USD', seenAt: '2027-05-10T12:30:00.000Z' }],
      }),
    );
    s.declines = [
      {
        rfqId: 'arfq-2',
        liftId: 'asellerlift-2',
        operator: 'Operator of arfq-2',
        seenAt: '2027-05-10T13:00:00.000Z',
        declineReason: 'CABOTAGE',
      },
    ];
    s.messages = [
      {
        messageId: 'asellermsg-1',
        direction: 'received',
        operator: 'Operator of arfq-1',
        text: 'Catering on request',
        rfqId: 'arfq-1',
      },
    ];
    s.readMessageIds.add('asellermsg-1');
    s.polls = 7;
    s.webhooks = 3;
    s.resets = 1;
    s.lastPollAt = '2027-05-10T14:00:00.000Z';
    s.pollIntervalMs = 900_000;
    s.nextPollAtMs = Date.parse('2027-05-10T14:15:00.000Z');
    s.pendingEvents = [
      { eventType: 'TripChatFromSeller', id: 'asellermsg-2', href: 'https://avinode.example/messages/asellermsg-2' },
    ];
    s.callbackSeq = 12;
    s.duplicateTrips = [
      { atripId: 'atrip-2002', discoveredBy: 'lookup', discoveredAt: '2027-05-10T12:10:00.000Z', status: 'cancelled' },
    ];
    s.duplicateLookupsLeft = 2;
    s.continuedAsNew = 4;
    return s;
  }

  it('carry then restore gives the same progress, one continuation later', () => {
    const before = busy();
    const after = state({
      request: before.request,
      pollIntervalMs: 30_000,
      nowMs: START + 86_400_000,
      carried: before.carry(),
    });
    expect(after.progress()).toEqual({ ...before.progress(), continuedAsNew: 5 });
    expect(after.carry()).toEqual({ ...before.carry(), continuedAsNew: 6 });
  });

  it('the continued run keeps the poll schedule, the read messages and the duplicate lookups left', () => {
    const after = state({ pollIntervalMs: 30_000, nowMs: START + 86_400_000, carried: busy().carry() });
    expect(after.pollIntervalMs).toBe(900_000);
    expect(after.nextPollAtMs).toBe(Date.parse('2027-05-10T14:15:00.000Z'));
    expect([...after.readMessageIds]).toEqual(['asellermsg-1']);
    expect(after.duplicateLookupsLeft).toBe(2);
    expect(after.pendingEvents).toHaveLength(1);
    expect(after.callbackSeq).toBe(12);
  });

  it('undelivered callbacks travel to the next run, which sends them first', () => {
    const before = busy();
    const event = {
      type: 'quote_received' as const,
      eventId: 'trip-crm-1/12',
      workflowId: 'trip-crm-1',
      externalId: 'crm-1',
      at: '2027-05-10T14:00:00.000Z',
      phase: 'awaiting_selection' as const,
    };
    before.callbackQueue.push(event);
    const after = state({ carried: before.carry() });
    expect(after.carriedCallbacks).toEqual([event]);
    expect(after.callbackQueue).toEqual([]);
  });

  it('a fresh run carries only what it has: no empty optional fields', () => {
    const carried = state().carry();
    expect(Object.keys(carried).sort()).toEqual(
      [
        'callbackSeq',
        'continuedAsNew',
        'counts',
        'declines',
        'messages',
        'nextPollAt',
        'pendingEvents',
        'phase',
        'phaseHistory',
        'pollIntervalMs',
        'quotes',
        'resets',
        'rfqs',
      ].sort(),
    );
  });

  it('restoring never shares the carried lists with the previous run', () => {
    const before = busy();
    const carried = before.carry();
    const after = state({ carried });
    after.declines.push({ rfqId: 'arfq-3', liftId: 'asellerlift-3', operator: 'x', seenAt: 'y' });
    after.phaseHistory.push({ phase: 'completed', at: 'z' });
    expect(carried.declines).toHaveLength(1);
    expect(carried.phaseHistory).toHaveLength(2);
  });
});

const NOW = '2027-05-10T12:05:00.000Z';
const LATER = '2027-05-10T12:45:00.000Z';

function quote(quoteId: string, extra: Partial<QuoteRecord> = {}) {
  const { firstSeenAt: _firstSeenAt, priceHistory: _priceHistory, ...snapshot } = quoteRecord(quoteId, extra);
  return snapshot;
}

describe('merging quotes', () => {
  it('a new quote is recorded with the instant it was first seen and marks its lift quoted at its price', () => {
    const s = state();
    s.recordRfq(rfq('arfq-1', [lift('asellerlift-1')]), NOW);
    expect(s.recordQuote(quote('aquote-1'), NOW)).toBe('new');
    expect(s.quotes.get('aquote-1')).toMatchObject({ firstSeenAt: NOW, priceHistory: [], price: 21_900 });
    expect(s.rfqs.get('arfq-1')?.lifts[0]).toMatchObject({
      status: 'quoted',
      quoteIds: ['aquote-1'],
      price: 21_900,
      currency: 'USD',
    });
  });

  it('the same quote read again changes nothing', () => {
    const s = state();
    s.recordQuote(quote('aquote-1'), NOW);
    const before = structuredClone(s.progress());
    expect(s.recordQuote(quote('aquote-1'), LATER)).toBeUndefined();
    expect(s.progress()).toEqual(before);
  });

  it('a re-price keeps the earlier price in the quote’s history and the first-seen instant', () => {
    const s = state();
    s.recordQuote(quote('aquote-1', { updatedOn: '2027-05-10T12:00:00Z' }), NOW);
    expect(s.recordQuote(quote('aquote-1', { price: 19_500, updatedOn: '2027-05-10T12:40:00Z' }), LATER)).toBe(
      'repriced',
    );
    expect(s.quotes.get('aquote-1')).toMatchObject({
      price: 19_500,
      firstSeenAt: NOW,
      priceHistory: [{ price: 21_900, currency: 'USD', seenAt: LATER }],
    });
  });

  it('a quote re-priced out of order keeps the newest price', () => {
    const s = state();
    s.recordQuote(quote('aquote-1', { price: 19_500, updatedOn: '2027-05-10T12:40:00Z' }), NOW);
    expect(
      s.recordQuote(quote('aquote-1', { price: 21_900, updatedOn: '2027-05-10T12:00:00Z' }), LATER),
    ).toBeUndefined();
    expect(s.quotes.get('aquote-1')).toMatchObject({ price: 19_500, priceHistory: [] });
  });

  it('a quote re-priced and back keeps the newest read, so a late read of the middle price does not win', () => {
    const s = state();
    s.keepsNewestQuoteRead = true;
    s.recordQuote(quote('aquote-1', { price: 21_900, updatedOn: '2027-05-10T12:00:00Z' }), NOW);
    expect(
      s.recordQuote(quote('aquote-1', { price: 21_900, updatedOn: '2027-05-10T13:00:00Z' }), LATER),
    ).toBeUndefined();
    expect(
      s.recordQuote(quote('aquote-1', { price: 19_500, updatedOn: '2027-05-10T12:40:00Z' }), LATER),
    ).toBeUndefined();
    expect(s.quotes.get('aquote-1')).toMatchObject({
      price: 21_900,
      updatedOn: '2027-05-10T13:00:00Z',
      priceHistory: [],
    });
  });

  it('replaying a run older than the bundled patch, a same-price read leaves the quote as it was', () => {
    const s = state();
    s.recordQuote(quote('aquote-1', { price: 21_900, updatedOn: '2027-05-10T12:00:00Z' }), NOW);
    s.recordQuote(quote('aquote-1', { price: 21_900, updatedOn: '2027-05-10T13:00:00Z' }), LATER);
    expect(s.quotes.get('aquote-1')).toMatchObject({ updatedOn: '2027-05-10T12:00:00Z' });
  });

  it('a re-price does not turn a lift answered at the first price into another answer', () => {
    const s = state();
    s.recordRfq(rfq('arfq-1', [lift('asellerlift-1')]), NOW);
    s.recordQuote(quote('aquote-1'), NOW);
    s.recordQuote(quote('aquote-1', { price: 19_500 }), LATER);
    expect(s.rfqs.get('arfq-1')?.lifts[0]).toMatchObject({ status: 'quoted', quoteIds: ['aquote-1'], price: 21_900 });
  });

  it('a quote on the RFQ itself answers an RFQ that requested no lift (decision stage only)', () => {
    const offered = quote('aquote-7', { liftId: 'asellerlift-offered' });
    const s = state();
    s.recordRfq(rfq('arfq-1', []), NOW);
    s.recordQuote(offered, NOW);
    expect(s.rfqs.get('arfq-1')?.quoteIds).toEqual(['aquote-7']);
    expect(s.allLiftsAnswered()).toBe(true);
    const older = state({}, false);
    older.recordRfq(rfq('arfq-1', []), NOW);
    older.recordQuote(offered, NOW);
    expect(older.rfqs.get('arfq-1')?.quoteIds).toBeUndefined();
  });
});

describe('merging RFQs', () => {
  it('an answered lift never goes back to unanswered when an older read arrives late', () => {
    const s = state();
    s.recordRfq(rfq('arfq-1', [lift('asellerlift-1', 'quoted', ['aquote-1'])]), NOW);
    s.recordRfq(rfq('arfq-1', [lift('asellerlift-1', 'unanswered', [])]), LATER);
    expect(s.rfqs.get('arfq-1')?.lifts).toEqual([lift('asellerlift-1', 'quoted', ['aquote-1'])]);
  });

  it('an answer may change into another answer (a quoted lift later declined)', () => {
    const s = state();
    s.recordRfq(rfq('arfq-1', [lift('asellerlift-1', 'quoted', ['aquote-1'])]), NOW);
    s.recordRfq(rfq('arfq-1', [lift('asellerlift-1', 'declined', ['aquote-1'])]), LATER);
    expect(s.rfqs.get('arfq-1')?.lifts[0]?.status).toBe('declined');
  });

  it('a cancelled RFQ stays cancelled when a read from before the cancellation arrives', () => {
    const s = state();
    s.recordRfq(rfq('arfq-1', [lift('asellerlift-1')], { cancelled: { by: 'broker', reason: 'CHANGED' } }), NOW);
    s.recordRfq(rfq('arfq-1', [lift('asellerlift-1')]), LATER);
    expect(s.rfqs.get('arfq-1')?.cancelled).toEqual({ by: 'broker', reason: 'CHANGED' });
  });

  it('keeps lifts, quote ids and message ids that a later read leaves out', () => {
    const s = state();
    s.recordRfq(
      rfq('arfq-1', [lift('asellerlift-1', 'quoted', ['aquote-1']), lift('asellerlift-2')], {
        quoteIds: ['aquote-5'],
        messageIds: ['asellermsg-1'],
      }),
      NOW,
    );
    s.recordRfq(rfq('arfq-1', [lift('asellerlift-2', 'unanswered')], { messageIds: ['asellermsg-2'] }), LATER);
    const merged = s.rfqs.get('arfq-1');
    expect(merged?.lifts.map((known) => known.liftId)).toEqual(['asellerlift-2', 'asellerlift-1']);
    expect(merged?.quoteIds).toEqual(['aquote-5']);
    expect(merged?.messageIds).toEqual(['asellermsg-1', 'asellermsg-2']);
  });

  it('records a declined lift as a decline once, seen at the first read that showed it', () => {
    const s = state();
    s.recordRfq(rfq('arfq-1', [lift('asellerlift-1', 'declined')]), NOW);
    s.recordRfq(rfq('arfq-1', [lift('asellerlift-1', 'declined')]), LATER);
    expect(s.declines).toEqual([
      { rfqId: 'arfq-1', liftId: 'asellerlift-1', operator: 'Operator of arfq-1', seenAt: NOW },
    ]);
  });

  it('the first RFQ starts quote collection only while the run awaits RFQs', () => {
    const s = state();
    s.phase = 'awaiting_rfqs';
    expect(s.recordRfq(rfq('arfq-1', [lift('asellerlift-1')]), NOW).rfqsWentOut).toBe(true);
    expect(s.recordRfq(rfq('arfq-2', [lift('asellerlift-2')]), NOW).rfqsWentOut).toBe(false);
    const blocked = state();
    blocked.phase = 'blocked';
    expect(blocked.recordRfq(rfq('arfq-1', [lift('asellerlift-1')]), NOW).rfqsWentOut).toBe(false);
  });
});

describe('merging messages and decline reasons', () => {
  const declineMessage = {
    messageId: 'asellermsg-9',
    text: 'No crew that day',
    rfqId: 'arfq-1',
    liftId: 'asellerlift-1',
    declineReason: 'CREW_NOT_AVAILABLE',
  };

  it('a decline learns its reason from the operator’s message, whichever of the two is read first', () => {
    const rfqFirst = state();
    expect(rfqFirst.recordRfq(rfq('arfq-1', [lift('asellerlift-1', 'declined')]), NOW).explained).toEqual([]);
    const explainedByMessage = rfqFirst.recordMessage(declineMessage).explained;
    const messageFirst = state();
    expect(messageFirst.recordMessage(declineMessage).explained).toEqual([]);
    const explainedByRfq = messageFirst.recordRfq(rfq('arfq-1', [lift('asellerlift-1', 'declined')]), NOW).explained;
    const expected = {
      rfqId: 'arfq-1',
      liftId: 'asellerlift-1',
      operator: 'Operator of arfq-1',
      seenAt: NOW,
      declineReason: 'CREW_NOT_AVAILABLE',
      message: 'No crew that day',
    };
    expect(explainedByMessage).toEqual([expected]);
    expect(explainedByRfq).toEqual([expected]);
    expect(rfqFirst.declines).toEqual(messageFirst.declines);
  });

  it('a decline’s reason is announced once', () => {
    const s = state();
    s.recordRfq(rfq('arfq-1', [lift('asellerlift-1', 'declined')]), NOW);
    s.recordMessage(declineMessage);
    expect(s.recordMessage({ ...declineMessage, messageId: 'asellermsg-10' }).explained).toEqual([]);
    expect(s.recordRfq(rfq('arfq-1', [lift('asellerlift-1', 'declined')]), LATER).explained).toEqual([]);
  });

  it('runs recorded before the decision stage attach no decline reason', () => {
    const s = state({}, false);
    s.recordRfq(rfq('arfq-1', [lift('asellerlift-1', 'declined')]), NOW);
    expect(s.recordMessage(declineMessage).explained).toEqual([]);
    expect(s.declines[0]?.declineReason).toBeUndefined();
    expect(s.readMessageIds.size).toBe(0);
  });

  it('an operator’s chat is announced once, named after its RFQ’s operator; quote and decline messages are not chats', () => {
    const s = state();
    s.recordRfq(rfq('arfq-1', [lift('asellerlift-1')]), NOW);
    const chat = { messageId: 'asellermsg-1', text: 'Catering on request', rfqId: 'arfq-1' };
    expect(s.recordMessage(chat).chat).toEqual({ ...chat, direction: 'received', operator: 'Operator of arfq-1' });
    expect(s.recordMessage(chat).chat).toBeUndefined();
    expect(
      s.recordMessage({ messageId: 'asellermsg-2', text: 'Quote attached', quoteId: 'aquote-1' }).chat,
    ).toBeUndefined();
    expect(s.recordMessage(declineMessage).chat).toBeUndefined();
    expect(s.recordMessage({ messageId: 'abuyermsg-1', direction: 'sent', text: 'Thanks' }).chat).toBeUndefined();
    expect(s.messages.map((message) => message.messageId)).toEqual([
      'asellermsg-1',
      'asellermsg-2',
      'asellermsg-9',
      'abuyermsg-1',
    ]);
    expect([...s.readMessageIds]).toEqual(['asellermsg-1', 'asellermsg-2', 'asellermsg-9', 'abuyermsg-1']);
  });

  it('keeps the latest 100 messages', () => {
    const s = state();
    for (let n = 1; n <= 105; n++) s.recordMessage({ messageId: `asellermsg-${n}`, text: `message ${n}` });
    expect(s.messages).toHaveLength(100);
    expect(s.messages[0]?.messageId).toBe('asellermsg-6');
    expect(s.messages.at(-1)?.messageId).toBe('asellermsg-105');
  });
});

describe('phases', () => {
  it('records the first phase and every change, not a phase entered again', () => {
    const s = state();
    expect(s.enterPhase('creating_trip', NOW, 'started')).toBe(true);
    expect(s.enterPhase('creating_trip', LATER, 'again')).toBe(false);
    expect(s.enterPhase('awaiting_rfqs', LATER)).toBe(true);
    expect(s.phase).toBe('awaiting_rfqs');
    expect(s.phaseHistory).toEqual([
      { phase: 'creating_trip', at: NOW, reason: 'started' },
      { phase: 'awaiting_rfqs', at: LATER },
    ]);
  });

  it('a long-flapping run keeps its first phase change and the latest 99', () => {
    const s = state();
    s.enterPhase('creating_trip', NOW, 'started');
    for (let n = 1; n <= 150; n++)
      s.enterPhase(
        n % 2 ? 'blocked' : 'collecting_quotes',
        `2027-05-11T00:00:${String(n % 60).padStart(2, '0')}.000Z`,
        `change ${n}`,
      );
    expect(s.phaseHistory).toHaveLength(100);
    expect(s.phaseHistory[0]).toEqual({ phase: 'creating_trip', at: NOW, reason: 'started' });
    expect(s.phaseHistory[1]?.reason).toBe('change 52');
    expect(s.phaseHistory.at(-1)?.reason).toBe('change 150');
  });
});

describe('webhook events', () => {
  const chatEvent = (id: string, extra: Partial<AvinodeEvent> = {}): AvinodeEvent => ({
    eventType: 'TripChatFromSeller',
    id,
    href: `https://avinode.example/api/tripmsgs/${id}`,
    ...extra,
  });

  it('an event about a message the run has already read or holds is a redelivery', () => {
    const s = state();
    s.readMessageIds.add('asellermsg-1');
    s.recordMessage({ messageId: 'asellermsg-2', text: 'Catering on request' });
    expect(s.knowsMessageOf(chatEvent('asellermsg-1'))).toBe(true);
    expect(s.knowsMessageOf(chatEvent('asellermsg-2'))).toBe(true);
    expect(s.knowsMessageOf(chatEvent('asellermsg-3'))).toBe(false);
    expect(
      s.knowsMessageOf({
        eventType: 'TripRequestSellerResponse',
        id: 'asellermsg-1',
        href: 'https://avinode.example/api/rfqs/arfq-1',
      }),
    ).toBe(false);
    expect(
      s.knowsMessageOf({ ...chatEvent('x'), message: { messageId: 'asellermsg-2', text: 'Catering on request' } }),
    ).toBe(true);
  });

  it('an event names another trip by its atrip ref, or by its short id when it has no ref', () => {
    const s = state();
    expect(s.namesOtherTrip(trip, chatEvent('m', { atripId: 'atrip-2002', tripId: trip.tripId }))).toBe(true);
    expect(s.namesOtherTrip(trip, chatEvent('m', { atripId: trip.atripId, tripId: 'OTHER1' }))).toBe(false);
    expect(s.namesOtherTrip(trip, chatEvent('m', { tripId: 'OTHER1' }))).toBe(true);
    expect(s.namesOtherTrip(trip, chatEvent('m'))).toBe(false);
  });

  it('the read fetches, once each, the messages of this trip that events named without bringing and the run does not know', () => {
    const s = state();
    s.readMessageIds.add('asellermsg-1');
    const events = [
      chatEvent('asellermsg-1'),
      chatEvent('asellermsg-2'),
      chatEvent('asellermsg-2'),
      chatEvent('asellermsg-3', { message: { messageId: 'asellermsg-3', text: 'brought along' } }),
      chatEvent('asellermsg-4', { atripId: 'atrip-2002' }),
      {
        eventType: 'TripRequestSellerResponse' as const,
        id: 'arfq-1',
        href: 'https://avinode.example/api/rfqs/arfq-1',
      },
    ];
    expect(s.unreadMessagesOf(trip, events)).toEqual(['asellermsg-2']);
    expect(s.unreadMessagesOf(undefined, events)).toEqual([]);
  });
});

describe('the callback outbox', () => {
  const withCallbacks = () => state({ request: { ...request, callbackUrl: 'https://hooks.example/cb' } });

  it('numbers events per run and stamps each with the phase, trip and resets of its moment', () => {
    const s = withCallbacks();
    expect(s.callbackEvent({ type: 'phase_changed' }, NOW)).toEqual({
      type: 'phase_changed',
      eventId: 'trip-crm-1/1',
      workflowId: 'trip-crm-1',
      externalId: 'crm-1',
      at: NOW,
      phase: 'creating_trip',
    });
    s.trip = trip;
    s.phase = 'awaiting_rfqs';
    s.resets = 1;
    expect(s.callbackEvent({ type: 'deep_link_ready', reason: 'trip created' }, LATER)).toEqual({
      type: 'deep_link_ready',
      reason: 'trip created',
      eventId: 'trip-crm-1/2',
      workflowId: 'trip-crm-1',
      externalId: 'crm-1',
      at: LATER,
      phase: 'awaiting_rfqs',
      tripId: 'Q4K7ZP',
      atripId: 'atrip-1001',
      deepLinks: trip.deepLinks,
      resets: 1,
    });
  });

  it('a continued run goes on numbering where the previous run stopped', () => {
    const before = withCallbacks();
    before.callbackEvent({ type: 'phase_changed' }, NOW);
    before.callbackEvent({ type: 'phase_changed' }, NOW);
    const after = state({ request: before.request, carried: before.carry() });
    expect(after.callbackEvent({ type: 'phase_changed' }, LATER)?.eventId).toBe('trip-crm-1/3');
  });

  it('without a callbackUrl nothing is numbered', () => {
    const s = state();
    expect(s.callbackEvent({ type: 'phase_changed' }, NOW)).toBeUndefined();
    expect(s.callbackSeq).toBe(0);
  });

  it('an event stays queued, in order, until it settles; what is left is carried to the next run', () => {
    const s = withCallbacks();
    const [first, second, third] = [1, 2, 3].map(() => s.callbackEvent({ type: 'phase_changed' }, NOW)!);
    for (const event of [first!, second!, third!]) s.queueCallback(event);
    s.callbackSettled(second!);
    expect(s.callbackQueue.map((event) => event.eventId)).toEqual(['trip-crm-1/1', 'trip-crm-1/3']);
    s.callbackSettled(first!);
    expect(s.carry().undeliveredCallbacks).toEqual([third]);
    s.callbackSettled(third!);
    expect(s.carry().undeliveredCallbacks).toBeUndefined();
  });
});

describe('merge properties (fast-check)', () => {
  /** Fixed seed and run count: the same cases on every run (a failure prints its counterexample). */
  const RUNS = { seed: 20_270_510, numRuns: 200 };
  const LIFT_IDS = ['asellerlift-1', 'asellerlift-2', 'asellerlift-3'];
  const status = fc.constantFrom<LiftSnapshot['status']>('unanswered', 'quoted', 'declined', 'cancelled');
  const ids = (prefix: string) => fc.subarray([1, 2, 3].map((n) => `${prefix}-${n}`));
  /** One read of RFQ arfq-1 as Avinode may return it at some point of its life. */
  const rfqRead = fc
    .record({
      lifts: fc.uniqueArray(fc.record({ liftId: fc.constantFrom(...LIFT_IDS), status, quoteIds: ids('aquote') }), {
        selector: (read) => read.liftId,
        maxLength: 3,
      }),
      quoteIds: ids('aquote-rfq'),
      messageIds: ids('asellermsg'),
      cancelled: fc.option(fc.constant({ by: 'broker' }), { nil: undefined }),
    })
    .map(({ cancelled, ...read }): RfqSnapshot => ({
      rfqId: 'arfq-1',
      operator: 'Operator of arfq-1',
      ...read,
      ...(cancelled ? { cancelled } : {}),
    }));
  const merged = (reads: RfqSnapshot[]) => {
    const s = state();
    for (const read of reads) s.recordRfq(read, NOW);
    return s;
  };
  const sorted = (values: string[] | undefined) => [...(values ?? [])].sort();

  it('merging the same read twice is merging it once', () => {
    fc.assert(
      fc.property(fc.array(rfqRead, { maxLength: 6 }), rfqRead, (earlier, read) => {
        const once = merged([...earlier, read]);
        const twice = merged([...earlier, read, read]);
        expect(twice.progress()).toEqual(once.progress());
      }),
      RUNS,
    );
  });

  it('an answered lift stays answered whatever reads follow', () => {
    fc.assert(
      fc.property(fc.array(rfqRead, { minLength: 1, maxLength: 8 }), (reads) => {
        const s = state();
        const answered = new Set<string>();
        for (const read of reads) {
          s.recordRfq(read, NOW);
          const lifts = s.rfqs.get('arfq-1')!.lifts;
          for (const liftId of answered)
            expect(lifts.find((known) => known.liftId === liftId)?.status).not.toBe('unanswered');
          for (const known of lifts) if (known.status !== 'unanswered') answered.add(known.liftId);
        }
      }),
      RUNS,
    );
  });

  it('lifts, ids, declines and the cancellation do not depend on the order reads arrive in', () => {
    fc.assert(
      fc.property(
        fc
          .array(rfqRead, { minLength: 1, maxLength: 6 })
          .chain((reads) => fc.tuple(fc.constant(reads), fc.shuffledSubarray(reads, { minLength: reads.length }))),
        ([reads, shuffled]) => {
          const [a, b] = [merged(reads).rfqs.get('arfq-1')!, merged(shuffled).rfqs.get('arfq-1')!];
          expect(sorted(a.lifts.map((known) => known.liftId))).toEqual(sorted(b.lifts.map((known) => known.liftId)));
          for (const known of a.lifts)
            expect(sorted(known.quoteIds)).toEqual(
              sorted(b.lifts.find((other) => other.liftId === known.liftId)!.quoteIds),
            );
          expect(sorted(a.quoteIds)).toEqual(sorted(b.quoteIds));
          expect(sorted(a.messageIds)).toEqual(sorted(b.messageIds));
          expect(a.cancelled).toEqual(b.cancelled);
          expect(sorted(merged(reads).declines.map((decline) => decline.liftId))).toEqual(
            sorted(merged(shuffled).declines.map((decline) => decline.liftId)),
          );
        },
      ),
      RUNS,
    );
  });

  it('after any mix of reads, carry then restore gives the same progress', () => {
    const read = fc.oneof(
      rfqRead.map((snapshot) => ({ rfq: snapshot })),
      fc
        .record({
          quoteId: fc.constantFrom('aquote-1', 'aquote-2'),
          liftId: fc.constantFrom(...LIFT_IDS),
          price: fc.integer({ min: 1_000, max: 9_999 }),
        })
        .map((fields) => ({ quote: quote(fields.quoteId, fields) })),
      fc
        .record({
          messageId: fc.constantFrom('asellermsg-1', 'asellermsg-2'),
          liftId: fc.constantFrom(...LIFT_IDS),
          declineReason: fc.option(fc.constant('CABOTAGE'), { nil: undefined }),
        })
        .map(({ declineReason, ...fields }) => ({
          message: {
            ...fields,
            text: 'From the operator',
            rfqId: 'arfq-1',
            ...(declineReason ? { declineReason } : {}),
          },
        })),
    );
    fc.assert(
      fc.property(fc.array(read, { maxLength: 10 }), (reads) => {
        const before = state({ request: { ...request, callbackUrl: 'https://hooks.example/cb' } });
        before.phase = 'awaiting_rfqs';
        for (const next of reads) {
          if ('rfq' in next) before.recordRfq(next.rfq, NOW);
          else if ('quote' in next) before.recordQuote(next.quote, NOW);
          else before.recordMessage(next.message);
        }
        const after = state({ request: before.request, carried: structuredClone(before.carry()) });
        expect(after.progress()).toEqual({ ...before.progress(), continuedAsNew: before.continuedAsNew + 1 });
        expect(after.carry()).toEqual({ ...before.carry(), continuedAsNew: before.continuedAsNew + 2 });
        expect(after.answersCallFor()).toEqual(before.answersCallFor());
      }),
      RUNS,
    );
  });

  it('re-prices at different prices end on the newest price, whatever order they arrive in', () => {
    const reprice = fc
      .uniqueArray(
        fc.record({ price: fc.integer({ min: 1_000, max: 99_999 }), minute: fc.integer({ min: 0, max: 59 }) }),
        { minLength: 1, maxLength: 6, selector: (read) => read.price },
      )
      .filter((reads) => new Set(reads.map((read) => read.minute)).size === reads.length)
      .chain((reads) => fc.shuffledSubarray(reads, { minLength: reads.length }));
    fc.assert(
      fc.property(reprice, (reads) => {
        const s = state();
        for (const { price, minute } of reads)
          s.recordQuote(
            quote('aquote-1', { price, updatedOn: `2027-05-10T12:${String(minute).padStart(2, '0')}:00Z` }),
            NOW,
          );
        const newest = reads.reduce((a, b) => (b.minute > a.minute ? b : a));
        expect(s.quotes.get('aquote-1')?.price).toBe(newest.price);
        expect(s.quotes.size).toBe(1);
      }),
      RUNS,
    );
  });

  it('with the bundled patch, re-prices end on the newest price in any order even when a price comes back', () => {
    const reads = fc
      .uniqueArray(
        fc.record({ price: fc.constantFrom(19_500, 21_900, 23_000), minute: fc.integer({ min: 0, max: 59 }) }),
        { minLength: 1, maxLength: 8, selector: (read) => read.minute },
      )
      .chain((all) => fc.shuffledSubarray(all, { minLength: all.length }));
    fc.assert(
      fc.property(reads, (order) => {
        const s = state();
        s.keepsNewestQuoteRead = true;
        for (const { price, minute } of order)
          s.recordQuote(
            quote('aquote-1', { price, updatedOn: `2027-05-10T12:${String(minute).padStart(2, '0')}:00Z` }),
            NOW,
          );
        const newest = order.reduce((a, b) => (b.minute > a.minute ? b : a));
        expect(s.quotes.get('aquote-1')?.price).toBe(newest.price);
      }),
      RUNS,
    );
  });
});
