// The goals benchmark's pure arithmetic: rows and goals, percentiles, history and Avinode-call
// counting, and the /proc parsers. Timings are never asserted anywhere in `npm test`.
import { describe, expect, it } from 'vitest';
import {
  avinodeCallsBetween,
  callsPerQuoteLimit,
  contractFloorPerQuote,
  countHistory,
  cpuTicksOfStat,
  formatTable,
  isAvinodeCall,
  machineTicksOfStat,
  marketplaceCountsBetween,
  percentile,
  perTrip,
  rowOf,
  rssOfStatus,
  slopeOf,
  sumCounts,
} from '../bench/goals.ts';

describe('goals benchmark rows', () => {
  it('compares the ratio to the reference with a ratio goal', () => {
    const row = rowOf({
      measure: 'deep link p50',
      unit: 'ms',
      charterflow: 150,
      reference: 100,
      goal: { of: 'ratio', op: '<=', limit: 1.5 },
    });
    expect(row).toMatchObject({ charterflow: 150, reference: 100, ratio: 1.5, goal: '≤ 1.5×', met: true });
    expect(
      rowOf({ measure: 'x', charterflow: 151, reference: 100, goal: { of: 'ratio', op: '<=', limit: 1.5 } }).met,
    ).toBe(false);
  });

  it('compares the charterflow figure itself with a value goal, whatever the reference', () => {
    const row = rowOf({
      measure: 'events per trip',
      charterflow: 230,
      reference: 40,
      goal: { of: 'value', op: '<=', limit: 110 },
    });
    expect(row).toMatchObject({ ratio: 5.75, goal: '≤ 110', met: false });
    expect(
      rowOf({ measure: 'lifecycles/s', charterflow: 4, reference: 5, goal: { of: 'ratio', op: '>=', limit: 0.7 } }).met,
    ).toBe(true);
  });

  it('leaves met open when a figure is missing, when there is no goal, or when a lower bound stays under an upper limit', () => {
    expect(
      rowOf({ measure: 'x', charterflow: Number.NaN, reference: 1, goal: { of: 'value', op: '<=', limit: 2 } }),
    ).toMatchObject({ charterflow: null, ratio: null, met: null });
    expect(rowOf({ measure: 'x', charterflow: 3 })).toMatchObject({ goal: '—', met: null, reference: null });
    expect(
      rowOf({ measure: 'x', charterflow: 1_200, atLeast: true, goal: { of: 'value', op: '<=', limit: 2_000 } }).met,
    ).toBeNull();
    expect(
      rowOf({ measure: 'x', charterflow: 2_589, atLeast: true, goal: { of: 'value', op: '<=', limit: 2_000 } }).met,
    ).toBe(false);
  });

  it('prints the rows as a Markdown table with lower bounds and misses marked', () => {
    const table = formatTable([
      rowOf({
        measure: 'events before continue-as-new',
        charterflow: 2_589,
        atLeast: true,
        goal: { of: 'value', op: '<=', limit: 2_000 },
      }),
      rowOf({
        measure: 'deep link p99',
        unit: 'ms',
        charterflow: 179.4,
        reference: 127,
        goal: { of: 'ratio', op: '<=', limit: 1.5 },
      }),
    ]);
    expect(table.split('\n')).toEqual([
      '| measure | charterflow | reference | ratio | goal | met |',
      '|---|---|---|---|---|---|',
      '| events before continue-as-new | > 2,589 | — | — | ≤ 2,000 | NO |',
      '| deep link p99 | 179 ms | 127 ms | 1.41× | ≤ 1.5× | yes |',
    ]);
  });

  it('fits the least-squares slope of a series (RSS over open trips)', () => {
    expect(
      slopeOf([
        { x: 100, y: 1_000 },
        { x: 200, y: 1_100 },
        { x: 300, y: 1_200 },
      ]),
    ).toBe(1);
    expect(
      slopeOf([
        { x: 0, y: 0 },
        { x: 1, y: 3 },
        { x: 2, y: 2 },
        { x: 3, y: 5 },
      ]),
    ).toBeCloseTo(1.4, 10);
    expect(slopeOf([{ x: 5, y: 1 }])).toBeNaN();
    expect(
      slopeOf([
        { x: 5, y: 1 },
        { x: 5, y: 2 },
      ]),
    ).toBeNaN();
  });

  it('takes nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('goals benchmark counting', () => {
  it('counts a history by kind of event, in either spelling of event types', () => {
    const counts = countHistory([
      'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
      'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED',
      'EVENT_TYPE_WORKFLOW_TASK_STARTED',
      'EVENT_TYPE_WORKFLOW_TASK_COMPLETED',
      'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
      'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED',
      'ActivityTaskScheduled',
      'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED',
      'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
      'EVENT_TYPE_TIMER_STARTED',
      'EVENT_TYPE_MARKER_RECORDED',
      'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
    ]);
    expect(counts).toEqual({
      events: 12,
      workflowTasks: 1,
      activities: 2,
      timers: 1,
      signals: 1,
      updates: 1,
      searchAttributeUpserts: 1,
      markers: 1,
      continuedAsNew: 1,
    });
  });

  it('adds up executions and divides by trips', () => {
    const total = sumCounts([
      countHistory(['EVENT_TYPE_WORKFLOW_TASK_SCHEDULED', 'EVENT_TYPE_TIMER_STARTED']),
      countHistory(['EVENT_TYPE_WORKFLOW_TASK_SCHEDULED']),
    ]);
    expect(total).toMatchObject({ events: 3, workflowTasks: 2, timers: 1 });
    expect(perTrip(total, 2)).toMatchObject({ events: 1.5, workflowTasks: 1, timers: 0.5 });
  });

  it('counts Avinode API calls between two stats snapshots, leaving out tokens, webhook settings and the admin API', () => {
    expect(isAvinodeCall('GET /api/trips/:id')).toBe(true);
    expect(isAvinodeCall('POST /api/oauth/token')).toBe(false);
    expect(isAvinodeCall('POST /api/webhooks/settings')).toBe(false);
    expect(isAvinodeCall('GET /_emulator/stats')).toBe(false);
    const before = { 'POST /api/trips': 2, 'GET /api/quotes/:id': 5, 'POST /api/oauth/token': 1 };
    const after = {
      'POST /api/trips': 3,
      'GET /api/quotes/:id': 9,
      'GET /api/rfqs/:id': 2,
      'POST /api/oauth/token': 4,
      'GET /_emulator/stats': 7,
    };
    expect(avinodeCallsBetween(before, after)).toBe(7);
  });

  it('sets the floor of the documented contract at one create, one decision and one read per seller message a trip', () => {
    // 2 trips: 4 quotes, 2 declines, 1 chat; one trip converted, the other cancelled.
    const counts = { trips: 2, outcomeReports: 1, cancels: 1, quotes: 4, declines: 2, chats: 1 };
    expect(contractFloorPerQuote(counts)).toBe((2 + 1 + 1 + 4 + 2 + 1) / 4);
    // The goal adds one and a half reads of the trip per trip: 2.75 + 1.5 × 2 / 4.
    expect(callsPerQuoteLimit(counts)).toBe(3.5);
    // A trip of 2 quotes and 1 decline is at the issue's ≤ 2.5 before it reads itself once: (1 + 1 + 3) / 2.
    expect(contractFloorPerQuote({ trips: 1, outcomeReports: 1, cancels: 0, quotes: 2, declines: 1, chats: 0 })).toBe(
      2.5,
    );
  });

  it('takes the marketplace counts between two emulator snapshots', () => {
    const from = { trips: 3, outcomeReports: 1, cancels: 0, quotes: 5, declines: 2, chats: 0 };
    const to = { trips: 5, outcomeReports: 2, cancels: 1, quotes: 9, declines: 3, chats: 1 };
    expect(marketplaceCountsBetween(from, to)).toEqual({
      trips: 2,
      outcomeReports: 1,
      cancels: 1,
      quotes: 4,
      declines: 1,
      chats: 1,
    });
  });

  it('reads CPU ticks and RSS from /proc texts, whatever the process name holds', () => {
    const stat = '4242 (temporal server) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 12 0 100 0 0';
    expect(cpuTicksOfStat(stat)).toBe(1234 + 567);
    expect(machineTicksOfStat('cpu  100 5 50 800 20 0 5 0 0 0\ncpu0 1 2 3 4')).toEqual({ busy: 160, total: 980 });
    expect(rssOfStatus('Name:\tnode\nVmRSS:\t  204800 kB\nThreads: 12\n')).toBe(204_800 * 1024);
  });
});
