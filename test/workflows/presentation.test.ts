// The one-line summary and the Markdown details an operator reads in the Temporal UI.
import { describe, expect, it } from 'vitest';
import type { TripProgress } from '../../workflows/contract.ts';
import { renderDetails, tripSummary } from '../../workflows/presentation.ts';

function progress(overrides: Partial<TripProgress> = {}): TripProgress {
  return {
    workflowId: 'trip-crm-1',
    externalId: 'crm-1',
    phase: 'collecting_quotes',
    route: 'KTEB-KPBI',
    tripId: 'Q4K7ZP',
    atripId: 'atrip-1001',
    deepLinks: { searchInAvinode: 'https://sandbox.avinode.com/marketplace/mvc/search/load/atrip-1001?source=api' },
    rfqs: [
      {
        rfqId: 'arfq-1',
        operator: 'Skyward | Charter',
        lifts: [
          {
            liftId: 'asellerlift-1',
            status: 'quoted',
            aircraftType: 'Citation XLS+',
            quoteIds: ['aquote-1'],
            price: 41250,
            currency: 'USD',
          },
        ],
        messageIds: [],
      },
      {
        rfqId: 'arfq-2',
        operator: 'Coastline Air',
        lifts: [{ liftId: 'asellerlift-2', status: 'unanswered', quoteIds: [] }],
        messageIds: [],
      },
    ],
    quotes: [
      {
        quoteId: 'aquote-1',
        operator: 'Skyward | Charter',
        aircraftType: 'Citation XLS+',
        seats: 8,
        price: 41250,
        currency: 'USD',
        firstSeenAt: '2026-05-01T10:00:00.000Z',
        priceHistory: [{ price: 43000, currency: 'USD', seenAt: '2026-05-01T09:00:00.000Z' }],
      },
      {
        quoteId: 'aquote-old',
        operator: 'Gone Jets',
        price: 1,
        currency: 'USD',
        firstSeenAt: 'x',
        priceHistory: [],
        vanishedAt: 'y',
      },
    ],
    declines: [],
    messages: [],
    counts: { rfqs: 2, lifts: 2, answered: 1, quotes: 1, declines: 0, polls: 4, webhooks: 2 },
    resets: 0,
    phaseHistory: [],
    continuedAsNew: 0,
    ...overrides,
  };
}

describe('tripSummary', () => {
  it('reads route, first departure and passengers in one line', () => {
    expect(tripSummary({ legs: [{ from: 'KTEB', to: 'KPBI', date: '2027-05-14', time: '09:30', pax: 5 }] })).toBe(
      'KTEB→KPBI · 14 May 09:30 · 5 pax',
    );
  });

  it('adds the return of a round trip and leaves out an unknown time', () => {
    const legs = [
      { from: 'KTEB', to: 'KPBI', date: '2027-05-14', pax: 5 },
      { from: 'KPBI', to: 'KTEB', date: '2027-05-18', time: '16:00', pax: 4 },
    ];
    expect(tripSummary({ legs })).toBe('KTEB→KPBI→KTEB · 14 May · 5 pax · return 18 May 16:00');
  });
});

describe('renderDetails', () => {
  it('shows phase, ids, deep link and counts, one table row per lift and per live quote', () => {
    const markdown = renderDetails(progress());
    expect(markdown).toContain('**Phase:** collecting_quotes');
    expect(markdown).toContain('**Trip:** Q4K7ZP (atrip-1001)');
    expect(markdown).toContain(
      '**Deep link:** https://sandbox.avinode.com/marketplace/mvc/search/load/atrip-1001?source=api',
    );
    expect(markdown).toContain('2 RFQs · 1/2 lifts answered · 1 quotes · 0 declines · 4 polls · 2 webhooks');
    expect(markdown).toContain(
      '| arfq-1 | Skyward \\| Charter | asellerlift-1 | Citation XLS+ | quoted | 41,250 USD |',
    );
    expect(markdown).toContain('| arfq-2 | Coastline Air | asellerlift-2 | — | unanswered | — |');
    expect(markdown).toContain(
      '| aquote-1 (cheapest) | Skyward \\| Charter | Citation XLS+ | 8 | 41,250 USD | 1× | — |',
    );
    expect(markdown).not.toContain('aquote-old');
  });

  it('explains a blocked run and how a run ended', () => {
    const blocked = renderDetails(
      progress({ phase: 'blocked', blockedReason: 'token endpoint answered 401 invalid_client' }),
    );
    expect(blocked).toContain('**Phase:** blocked — token endpoint answered 401 invalid_client');
    const ended = renderDetails(
      progress({ phase: 'completed', selectedQuoteId: 'aquote-1', endReason: 'quote aquote-1 selected', resets: 1 }),
    );
    expect(ended).toContain('**Selected quote:** aquote-1');
    expect(ended).toContain('**Ended:** quote aquote-1 selected');
    expect(ended).toContain('· 1 resets');
  });

  it('shows the wait for the broker, decline reasons with the operator message, chats both ways and the outcome report', () => {
    const waiting = renderDetails(
      progress({
        phase: 'awaiting_selection',
        declines: [
          {
            rfqId: 'arfq-2',
            liftId: 'asellerlift-2',
            operator: 'Coastline Air',
            seenAt: 'x',
            declineReason: 'CREW_NOT_AVAILABLE',
            message: 'No crew | sorry',
          },
        ],
        messages: [
          {
            messageId: 'asellermsg-1',
            direction: 'received',
            operator: 'Coastline Air',
            rfqId: 'arfq-2',
            text: 'Pets on board?',
          },
          { messageId: 'abuyermsg-1', direction: 'sent', operator: 'Coastline Air', rfqId: 'arfq-2', text: 'One dog.' },
          {
            messageId: 'asellermsg-2',
            direction: 'received',
            operator: 'Skyward',
            rfqId: 'arfq-1',
            text: 'quote text',
            quoteId: 'aquote-1',
          },
        ],
      }),
    );
    expect(waiting).toContain('**Waiting for the broker:**');
    expect(waiting).toContain('| Coastline Air | arfq-2 | crew not available | No crew \\| sorry |');
    expect(waiting).toContain('| ← received | Coastline Air | arfq-2 | Pets on board? |');
    expect(waiting).toContain('| → sent | Coastline Air | arfq-2 | One dog. |');
    expect(waiting).not.toContain('quote text');
    const report = {
      outcome: 'CONVERTED' as const,
      quoteId: 'aquote-1',
      winningSellerLiftId: 'asellerlift-1',
      at: 'x',
    };
    expect(renderDetails(progress({ phase: 'completed', outcomeReport: { ...report, status: 'reported' } }))).toContain(
      '**Outcome reported to Avinode:** CONVERTED, winning lift asellerlift-1',
    );
    expect(
      renderDetails(
        progress({ phase: 'completed', outcomeReport: { ...report, status: 'failed', error: '403 NOT_AUTHORIZED' } }),
      ),
    ).toContain('**Outcome report FAILED:** 403 NOT_AUTHORIZED — the selection stands');
    expect(renderDetails(progress({ note: 'every operator declined; …' }))).toContain(
      '**Note:** every operator declined',
    );
  });

  it('lists the duplicate Avinode trips the run found and withdrew, and a withdrawal that failed', () => {
    const markdown = renderDetails(
      progress({
        duplicateTrips: [
          {
            atripId: 'atrip-2',
            tripId: 'Q4K7ZQ',
            discoveredBy: 'create_lookup',
            discoveredAt: 'x',
            status: 'cancelled',
          },
          {
            atripId: 'atrip-3',
            discoveredBy: 'webhook',
            discoveredAt: 'x',
            status: 'failed',
            error: '503 ERR_INTERNAL',
          },
        ],
      }),
    );
    expect(markdown).toContain(
      '**Duplicate Avinode trips found and withdrawn:** Q4K7ZQ cancelled · atrip-3 cancel failed (503 ERR_INTERNAL), retried when seen again',
    );
    expect(renderDetails(progress())).not.toContain('Duplicate Avinode trips');
  });
});
