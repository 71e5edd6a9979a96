// Pure pieces of the goals benchmark (goals.bench.ts): rows with their goal, the table, counting
// events in histories, Avinode calls in emulator stats, and CPU/RSS figures read from /proc.
// No I/O here except the /proc readers at the bottom, so test/unit/bench-goals.test.ts covers it.

export interface Goal {
  /** What the goal bounds: the charterflow figure itself, or its ratio to the reference. */
  of: 'value' | 'ratio';
  op: '<=' | '>=';
  limit: number;
}

export interface Row {
  measure: string;
  unit?: string;
  charterflow: number | null;
  reference: number | null;
  /** charterflow / reference, when both are numbers. */
  ratio: number | null;
  goal: string;
  /** null: the figure could not be measured (see note), or the row has no goal. */
  met: boolean | null;
  /** The charterflow figure is a lower bound (e.g. no continue-as-new happened within the budget). */
  atLeast?: boolean;
  note?: string;
}

export function describeGoal(goal: Goal | undefined): string {
  if (!goal) return '—';
  return `${goal.op === '<=' ? '≤' : '≥'} ${goal.of === 'ratio' ? `${goal.limit}×` : goal.limit.toLocaleString('en-US')}`;
}

const finite = (value: number | null | undefined): value is number =>
  typeof value === 'number' && Number.isFinite(value);

export function rowOf(input: {
  measure: string;
  unit?: string;
  charterflow: number | null | undefined;
  reference?: number | null | undefined;
  goal?: Goal;
  atLeast?: boolean;
  note?: string;
}): Row {
  const charterflow = finite(input.charterflow) ? input.charterflow : null;
  const reference = finite(input.reference) ? input.reference : null;
  const ratio = charterflow !== null && reference !== null && reference !== 0 ? charterflow / reference : null;
  let met: boolean | null = null;
  const goal = input.goal;
  if (goal) {
    const subject = goal.of === 'ratio' ? ratio : charterflow;
    if (subject !== null) {
      met = goal.op === '<=' ? subject <= goal.limit : subject >= goal.limit;
      // A lower bound above an upper limit is a miss; a lower bound below it proves nothing.
      if (input.atLeast && goal.op === '<=' && met) met = null;
    }
  }
  return {
    measure: input.measure,
    ...(input.unit ? { unit: input.unit } : {}),
    charterflow,
    reference,
    ratio,
    goal: describeGoal(goal),
    met,
    ...(input.atLeast ? { atLeast: true } : {}),
    ...(input.note ? { note: input.note } : {}),
  };
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function figure(value: number | null, unit?: string, atLeast?: boolean): string {
  if (value === null) return 'n/a';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${atLeast ? '> ' : ''}${round(value, digits).toLocaleString('en-US')}${unit ? ` ${unit}` : ''}`;
}

/** The rows as a Markdown table (what the bench prints and the README quotes). */
export function formatTable(rows: Row[]): string {
  const lines = ['| measure | charterflow | reference | ratio | goal | met |', '|---|---|---|---|---|---|'];
  for (const row of rows) {
    const met = row.met === null ? '—' : row.met ? 'yes' : 'NO';
    const ratio = row.ratio === null ? '—' : `${round(row.ratio, 2)}×`;
    lines.push(
      `| ${row.measure} | ${figure(row.charterflow, row.unit, row.atLeast)} | ${row.reference === null ? '—' : figure(row.reference, row.unit)} | ${ratio} | ${row.goal} | ${met} |`,
    );
  }
  return lines.join('\n');
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Least-squares slope of y over x (NaN with fewer than two distinct x). */
export function slopeOf(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - meanX) * (p.y - meanY);
    den += (p.x - meanX) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

// ── histories ────────────────────────────────────────────────────────────────

export interface HistoryCounts {
  events: number;
  workflowTasks: number;
  activities: number;
  timers: number;
  signals: number;
  updates: number;
  searchAttributeUpserts: number;
  markers: number;
  continuedAsNew: number;
}

/** Counts one history's events by what they are (event type names as `EVENT_TYPE_…` or `…Scheduled`). */
export function countHistory(eventTypes: readonly string[]): HistoryCounts {
  const counts: HistoryCounts = {
    events: 0,
    workflowTasks: 0,
    activities: 0,
    timers: 0,
    signals: 0,
    updates: 0,
    searchAttributeUpserts: 0,
    markers: 0,
    continuedAsNew: 0,
  };
  for (const raw of eventTypes) {
    const type = raw
      .replace(/^EVENT_TYPE_/, '')
      .replace(/_/g, '')
      .toUpperCase();
    counts.events += 1;
    if (type === 'WORKFLOWTASKSCHEDULED') counts.workflowTasks += 1;
    else if (type === 'ACTIVITYTASKSCHEDULED') counts.activities += 1;
    else if (type === 'TIMERSTARTED') counts.timers += 1;
    else if (type === 'WORKFLOWEXECUTIONSIGNALED') counts.signals += 1;
    else if (type === 'WORKFLOWEXECUTIONUPDATEACCEPTED') counts.updates += 1;
    else if (type === 'UPSERTWORKFLOWSEARCHATTRIBUTES') counts.searchAttributeUpserts += 1;
    else if (type === 'MARKERRECORDED') counts.markers += 1;
    else if (type === 'WORKFLOWEXECUTIONCONTINUEDASNEW') counts.continuedAsNew += 1;
  }
  return counts;
}

export function sumCounts(all: readonly HistoryCounts[]): HistoryCounts {
  const total = countHistory([]);
  for (const counts of all) for (const key of Object.keys(total) as (keyof HistoryCounts)[]) total[key] += counts[key];
  return total;
}

export function perTrip(total: HistoryCounts, trips: number): Record<keyof HistoryCounts, number> {
  return Object.fromEntries(
    Object.entries(total).map(([key, value]) => [key, trips > 0 ? value / trips : Number.NaN]),
  ) as Record<keyof HistoryCounts, number>;
}

// ── emulator stats ───────────────────────────────────────────────────────────

/** Routes that are not Avinode API work a trip causes: token requests and webhook settings. */
export function isAvinodeCall(route: string): boolean {
  if (!route.includes(' /api/')) return false;
  return !/\/oauth\/|\/token\b|\/webhooks\/settings/.test(route);
}

/** Avinode API calls between two `requestsByRoute` snapshots, by route (routes with none left out). */
export function avinodeCallsByRouteBetween(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): Record<string, number> {
  const byRoute: Record<string, number> = {};
  for (const [route, count] of Object.entries(after)) {
    const calls = count - (before[route] ?? 0);
    if (isAvinodeCall(route) && calls > 0) byRoute[route] = calls;
  }
  return byRoute;
}

/** Avinode API calls between two `requestsByRoute` snapshots. */
export function avinodeCallsBetween(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): number {
  let calls = 0;
  for (const [route, count] of Object.entries(after)) if (isAvinodeCall(route)) calls += count - (before[route] ?? 0);
  return calls;
}

/** What an emulator counted between two stats snapshots that the documented contract makes a trip pay for. */
export interface MarketplaceCounts {
  trips: number;
  outcomeReports: number;
  cancels: number;
  quotes: number;
  declines: number;
  chats: number;
}

/**
 * The fewest Avinode calls the documented contract allows for what happened, per quote: each trip
 * created once and decided once (outcome or cancel), each seller message read once because its
 * notification names no trip (avinode-api.md §9, §13), and no read of the trip at all.
 */
export function contractFloorPerQuote(counts: MarketplaceCounts): number {
  const messages = counts.quotes + counts.declines + counts.chats;
  return (counts.trips + counts.outcomeReports + counts.cancels + messages) / counts.quotes;
}

/**
 * Reads of its own trip a run may make beyond the floor, per trip: one debounced read per burst of
 * notifications — one for most trips, a second for a trip whose operators answer after the first read.
 */
export const TRIP_READS_PER_TRIP_ALLOWED = 1.5;

/**
 * Issue 12's "Avinode calls per quote, webhooks on" goal on the documented contract: the floor plus
 * TRIP_READS_PER_TRIP_ALLOWED reads of the trip per trip. (The issue's ≤ 2.5 was create + one read
 * per notification + one trip read for a trip of 2 quotes and 1 decline, (1 + 3 + 1) / 2, before the
 * decision stage added one documented call per trip; this is that budget, measured on what happened.)
 */
export function callsPerQuoteLimit(counts: MarketplaceCounts): number {
  return round(contractFloorPerQuote(counts) + (TRIP_READS_PER_TRIP_ALLOWED * counts.trips) / counts.quotes, 2);
}

const MARKETPLACE_KEYS = ['trips', 'outcomeReports', 'cancels', 'quotes', 'declines', 'chats'] as const;

/** The difference of two snapshots' marketplace counts. */
export function marketplaceCountsBetween(from: MarketplaceCounts, to: MarketplaceCounts): MarketplaceCounts {
  return Object.fromEntries(MARKETPLACE_KEYS.map((key) => [key, to[key] - from[key]])) as unknown as MarketplaceCounts;
}

// ── /proc ────────────────────────────────────────────────────────────────────

/** utime + stime (clock ticks) of a /proc/<pid>/stat line; the command name may hold spaces. */
export function cpuTicksOfStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3, utime field 14, stime field 15 (1-based over the whole line).
  return Number(fields[11]) + Number(fields[12]);
}

/** Busy and total ticks of the machine from the first line of /proc/stat. */
export function machineTicksOfStat(stat: string): { busy: number; total: number } {
  const values = stat.split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = values.slice(0, 8).reduce((sum, value) => sum + value, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/** VmRSS of a /proc/<pid>/status text, in bytes. */
export function rssOfStatus(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}
