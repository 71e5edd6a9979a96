import { describe, expect, it } from 'vitest';
import { renderProgress } from '../../../client/trip-cli.ts';
import { parseDeadline, tripInputFromFlags } from '../../../client/trip-flags.ts';
import { parseTripRequest } from '../../../client/trip-request.ts';
import type { TripProgress } from '../../../workflows/contract.ts';

const NOW = Date.parse('2026-05-01T12:00:00Z');

describe('parseDeadline', () => {
  it.each([
    ['30m', '2026-05-01T12:30:00.000Z'],
    ['2h', '2026-05-01T14:00:00.000Z'],
    ['3d', '2026-05-04T12:00:00.000Z'],
    ['2H', '2026-05-01T14:00:00.000Z'],
    ['2026-05-02T10:00:00+02:00', '2026-05-02T08:00:00.000Z'],
  ])('reads %s as %s', (input, expected) => {
    expect(parseDeadline(input, NOW)).toBe(expected);
  });

  it('rejects text that is neither a duration nor an instant, quoting it', () => {
    expect(() => parseDeadline('next tuesday', NOW)).toThrow(/--deadline\/--until: "next tuesday" is neither/);
    expect(() => parseDeadline('5w', NOW)).toThrow(/30m, 2h or 3d/);
  });
});

describe('tripInputFromFlags', () => {
  const flags = { from: 'kteb', to: 'kpbi', date: '2026-05-14', time: '09:30', pax: '5' };

  it('builds a one-way trip with a generated external id that validates', () => {
    const input = tripInputFromFlags(flags, NOW);
    expect(input.legs).toEqual([{ from: 'kteb', to: 'kpbi', date: '2026-05-14', time: '09:30', pax: 5 }]);
    expect(input.externalId).toMatch(/^cf-[0-9a-f]{10}$/);
    expect(tripInputFromFlags(flags, NOW).externalId).not.toBe(input.externalId);
    expect(parseTripRequest(input, NOW).legs[0]).toMatchObject({ from: 'KTEB', to: 'KPBI' });
  });

  it('adds the return leg from --return-date, reversing the route and keeping the passengers', () => {
    const input = tripInputFromFlags(
      { ...flags, 'return-date': '2026-05-18', 'return-time': '17:00', 'external-id': 'order-7' },
      NOW,
    );
    expect(input.externalId).toBe('order-7');
    expect(input.legs).toEqual([
      { from: 'kteb', to: 'kpbi', date: '2026-05-14', time: '09:30', pax: 5 },
      { from: 'kpbi', to: 'kteb', date: '2026-05-18', time: '17:00', pax: 5 },
    ]);
  });

  it('carries category, deadline, reset policy and callback URL', () => {
    const input = tripInputFromFlags(
      { ...flags, category: 'Midsize jet', deadline: '2h', 'on-reset': 'fail', 'callback-url': 'https://b.example/cb' },
      NOW,
    );
    expect(input).toMatchObject({
      aircraftCategory: 'Midsize jet',
      quoteDeadline: '2026-05-01T14:00:00.000Z',
      onReset: 'fail',
      callbackUrl: 'https://b.example/cb',
    });
    expect(tripInputFromFlags(flags, NOW)).not.toHaveProperty('onReset');
  });

  it('names every missing required flag', () => {
    expect(() => tripInputFromFlags({ from: 'KTEB' }, NOW)).toThrow('trip start: missing --to, --date, --pax');
    expect(() => tripInputFromFlags({ ...flags, pax: undefined }, NOW)).toThrow(/missing --pax$/);
  });

  it('leaves a non-numeric --pax for validation to reject by field name', () => {
    const input = tripInputFromFlags({ ...flags, pax: 'five' }, NOW);
    expect(() => parseTripRequest(input, NOW)).toThrow(/legs\[0\]\.pax: /);
  });
});

function progress(overrides: Partial<TripProgress> = {}): TripProgress {
  return {
    workflowId: 'trip-order-7',
    externalId: 'order-7',
    phase: 'collecting_quotes',
    route: 'KTEB-KPBI',
    atripId: 'atrip-1000001',
    tripId: 'Q4K7ZP',
    deepLinks: { searchInAvinode: 'https://marketplace.example/trip/Q4K7ZP' },
    rfqs: [],
    quotes: [
      {
        quoteId: 'aquote-1',
        operator: 'Acme Jets',
        aircraftType: 'Citation XLS+',
        aircraftTail: 'N123AB',
        price: 48_250,
        currency: 'USD',
        firstSeenAt: '2026-05-01T12:01:00Z',
        priceHistory: [],
      },
      {
        quoteId: 'aquote-2',
        operator: 'Blue Sky Aviation',
        aircraftCategory: 'Midsize jet',
        price: 51_000,
        currency: 'EUR',
        firstSeenAt: '2026-05-01T12:02:00Z',
        priceHistory: [{ price: 55_000, currency: 'EUR', seenAt: '2026-05-01T12:02:00Z' }],
      },
    ],
    declines: [{ rfqId: 'arfq-3', liftId: 'alift-3', operator: 'Nope Air', seenAt: '2026-05-01T12:03:00Z' }],
    messages: [],
    counts: { rfqs: 3, lifts: 3, answered: 3, quotes: 2, declines: 1, polls: 4, webhooks: 5 },
    resets: 0,
    phaseHistory: [],
    continuedAsNew: 0,
    ...overrides,
  };
}

describe('renderProgress', () => {
  it('shows the phase, ids, deep link and counts', () => {
    const text = renderProgress(progress());
    expect(text.split('\n')[0]).toBe(
      'trip-order-7  KTEB-KPBI  phase: COLLECTING_QUOTES  Avinode trip Q4K7ZP (atrip-1000001)',
    );
    expect(text).toContain('deep link: https://marketplace.example/trip/Q4K7ZP');
    expect(text).toContain('RFQs 3 · lifts 3 (answered 3) · quotes 2 · declines 1 · polls 4 · webhooks 5');
    expect(text).not.toContain('sandbox resets');
  });

  it('lists live quotes as a table row each, with RFQ, operator, aircraft and price, marking the cheapest and re-priced ones', () => {
    const lines = renderProgress(progress()).split('\n');
    const header = lines.findIndex((line) => line.startsWith('QUOTE'));
    expect(lines[header]).toMatch(/^QUOTE\s+RFQ\s+OPERATOR\s+AIRCRAFT\s+PRICE$/);
    const acme = lines[header + 1]!;
    const blue = lines[header + 2]!;
    expect(acme).toMatch(/^aquote-1\s+—\s+Acme Jets\s+Citation XLS\+ N123AB\s+48,250 USD {2}← cheapest$/);
    expect(blue).toMatch(/^aquote-2\s+—\s+Blue Sky Aviation\s+Midsize jet\s+51,000 EUR {2}re-priced from 55,000 EUR$/);
    // Columns line up: the operator column starts at the same offset in the header and each row.
    expect(acme.indexOf('Acme Jets')).toBe(lines[header]!.indexOf('OPERATOR'));
  });

  it('marks the selected quote and shows declines, end reason, blocked reason and resets', () => {
    const ended = renderProgress(
      progress({ phase: 'completed', selectedQuoteId: 'aquote-2', endReason: 'quote selected', resets: 1 }),
    );
    expect(ended).toMatch(/aquote-2 .* ✔ selected · re-priced from 55,000 EUR$/m);
    expect(ended).toContain('declined:\n  Nope Air (arfq-3)');
    expect(ended).toContain('ended: quote selected');
    expect(ended).toContain('sandbox resets 1');
    const blocked = renderProgress(
      progress({ phase: 'blocked', blockedReason: 'Avinode rejected the client secret', quotes: [], declines: [] }),
    );
    expect(blocked).toContain('blocked: Avinode rejected the client secret');
    expect(blocked).not.toContain('QUOTE');
    expect(blocked).not.toContain('declined:');
  });
});

describe('trip commands refused before connecting', () => {
  async function refused(argv: string[]): Promise<{ code: number; stderr: string }> {
    const { vi } = await import('vitest');
    const { runTripCommand } = await import('../../../client/trip-cli.ts');
    let stderr = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    try {
      return { code: await runTripCommand(argv), stderr };
    } finally {
      spy.mockRestore();
    }
  }

  it('asks for the RFQ and the text of a message, and for a known phase in list', async () => {
    expect(await refused(['message', 'order-7', 'arfq-1'])).toEqual({
      code: 2,
      stderr: 'trip message: usage: trip message <externalId> <rfqId> <text>\n',
    });
    const list = await refused(['list', '--phase', 'waiting']);
    expect(list.code).toBe(2);
    expect(list.stderr).toContain('awaiting_selection');
    expect(
      (
        await refused([
          'start',
          '--from',
          'KTEB',
          '--to',
          'KPBI',
          '--date',
          new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
          '--pax',
          '2',
          '--on-expiry',
          'later',
        ])
      ).stderr,
    ).toBe('--on-expiry: must be cancel or keep\n');
  });
});
