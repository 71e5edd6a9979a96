// The trip flags shared by `charterflow trip start` and `charterflow avinode create-trip`:
// flags → StartTripInput → parseTripRequest, with every problem reported by the flag that caused it.
import { randomBytes } from 'node:crypto';
import { AIRCRAFT_CATEGORIES, type TripRequest } from '../workflows/contract.ts';
import type { Problem } from '../workflows/failures.ts';
import type { StartTripInput } from './index.ts';
import { parseTripRequest, TripRequestInvalid } from './trip-request.ts';

/** A bad flag or argument: the CLIs print the message and exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A flag problem as printed: the flag, then what is wrong with it (`--pax must be at least 1`). */
export const flagProblemText = (problem: Problem): string =>
  problem.path ? `${problem.path} ${problem.message}` : problem.message;

/** Bad trip flags, each problem naming its flag: `path` is the flag (`--pax`), `message` what is wrong. */
export class TripFlagsInvalid extends UsageError {
  override name = 'TripFlagsInvalid';
  constructor(
    readonly command: string,
    readonly problems: readonly Problem[],
  ) {
    const lines = problems.map(flagProblemText);
    super(
      lines.length === 1
        ? `${command}: ${lines[0]}`
        : `${command}: ${lines.length} problems with the trip flags:\n${lines.map((line) => `  - ${line}`).join('\n')}`,
    );
  }
}

/** parseArgs options of the flags both commands accept. */
export const TRIP_FLAG_OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  date: { type: 'string' },
  time: { type: 'string' },
  pax: { type: 'string' },
  category: { type: 'string' },
  'return-date': { type: 'string' },
  'return-time': { type: 'string' },
  'external-id': { type: 'string' },
  lift: { type: 'string', multiple: true },
  'max-fuel-stops': { type: 'string' },
  'min-year-of-make': { type: 'string' },
  'include-lift-upgrades': { type: 'boolean' },
  arrival: { type: 'boolean' },
  utc: { type: 'boolean' },
  'output-currency': { type: 'string', multiple: true },
} as const;

/** The shared flags, plus those only `trip start` declares (create-trip's parser rejects them). */
export interface TripFlags {
  from?: string | undefined;
  to?: string | undefined;
  date?: string | undefined;
  time?: string | undefined;
  pax?: string | undefined;
  category?: string | undefined;
  'return-date'?: string | undefined;
  'return-time'?: string | undefined;
  'external-id'?: string | undefined;
  /** Repeatable: a category (`"Midsize jet"`) or `type=…`, `tail=…`, `category=…`, comma-separated. */
  lift?: string[] | undefined;
  'max-fuel-stops'?: string | undefined;
  'min-year-of-make'?: string | undefined;
  'include-lift-upgrades'?: boolean | undefined;
  /** The times are arrival times; `utc`: the times are UTC. */
  arrival?: boolean | undefined;
  utc?: boolean | undefined;
  /** Repeatable: quote prices also converted into these (e.g. USD), so quotes compare. */
  'output-currency'?: string[] | undefined;
  deadline?: string | undefined;
  'on-reset'?: string | undefined;
  'callback-url'?: string | undefined;
}

export interface TripFlagsOptions {
  /** Prefix of error messages: `trip start`, `create-trip`. */
  command?: string;
  nowMs?: number;
  /** External id when `--external-id` is absent; default `cf-<10 hex>`. */
  newExternalId?: () => string;
}

const REQUIRED = ['from', 'to', 'date', 'pax'] as const;

/** An ISO-8601 instant with a zone: what the TripRequest's quoteDeadline accepts. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * `2h`, `30m`, `3d` from now, or an ISO-8601 instant with a zone (`2026-12-10T18:00:00Z`). Anything
 * else is a UsageError: Date.parse would read `2030` as 1 Jan 2030 and `March 5` as 2001.
 */
export function parseDeadline(value: string, nowMs: number = Date.now()): string {
  const text = value.trim();
  const relative = /^(\d{1,6})\s*(m|h|d)$/i.exec(text);
  const at = relative
    ? nowMs +
      Number(relative[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2]!.toLowerCase() as 'm' | 'h' | 'd']
    : ISO_INSTANT.test(text)
      ? Date.parse(text)
      : Number.NaN;
  if (Number.isNaN(at)) {
    throw new UsageError(
      `--deadline/--until: ${JSON.stringify(value.slice(0, 60))} is neither an ISO-8601 instant such as 2026-12-10T18:00:00Z nor a duration like 30m, 2h or 3d`,
    );
  }
  return new Date(at).toISOString();
}

/** The required flags that are absent or blank, as `--name`. */
export function missingTripFlags(flags: TripFlags): string[] {
  return REQUIRED.filter((name) => !flags[name]?.trim()).map((name) => `--${name}`);
}

/** A decimal number, or NaN so validation reports `--pax must be a number` (Number() takes `1e1`, `0x10`). */
function paxOf(text: string): number {
  return /^\s*[+-]?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : Number.NaN;
}

/** `--pax TBD`: the passenger count is not known yet. */
const isPaxTbd = (text: string) => text.trim().toUpperCase() === 'TBD';

const LIFT_KEYS: Record<string, 'aircraftCategory' | 'aircraftType' | 'aircraftTail'> = {
  category: 'aircraftCategory',
  type: 'aircraftType',
  tail: 'aircraftTail',
};

/** `--lift "Midsize jet"`, `--lift tail=N123EX`, `--lift "category=Heavy jet,type=Gulfstream G450"`. */
export function liftOf(text: string): Record<string, string> {
  if (!text.includes('=')) return { aircraftCategory: categoryOf(text) };
  const lift: Record<string, string> = {};
  for (const part of text.split(',')) {
    const [key = '', ...rest] = part.split('=');
    const field = LIFT_KEYS[key.trim().toLowerCase()];
    if (!field || rest.length === 0)
      throw new UsageError(
        `--lift: "${part.trim().slice(0, 40)}" is not category=…, type=… or tail=… (e.g. --lift "tail=N123EX")`,
      );
    lift[field] = field === 'aircraftCategory' ? categoryOf(rest.join('=')) : rest.join('=').trim();
  }
  return lift;
}

/** A whole number as typed, or NaN so validation names the flag. */
const wholeOf = (text: string) => (/^\s*\d{1,6}\s*$/.test(text) ? Number(text) : Number.NaN);

/** A known category in any case is written the canonical way; anything else is left for validation to reject. */
function categoryOf(text: string): string {
  return AIRCRAFT_CATEGORIES.find((category) => category.toLowerCase() === text.trim().toLowerCase()) ?? text;
}

/** Flags → the request as typed (not yet validated); throws only for missing required flags. */
/** Optional flags given with a blank value (`--time ""`, an unset shell variable): refused, not ignored. */
function blankTripFlags(flags: TripFlags): string[] {
  return (Object.keys(flags) as (keyof TripFlags)[]).filter(
    (name) => !REQUIRED.includes(name as never) && typeof flags[name] === 'string' && !flags[name]!.trim(),
  );
}

export function tripInputFromFlags(
  flags: TripFlags,
  nowMs: number = Date.now(),
  options: Omit<TripFlagsOptions, 'nowMs'> = {},
): StartTripInput {
  const command = options.command ?? 'trip start';
  const missing = missingTripFlags(flags);
  // The required flags that are missing, named in one problem: `missing --to, --date`.
  const problems: Problem[] = missing.length ? [{ path: '', message: `missing ${missing.join(', ')}` }] : [];
  for (const name of blankTripFlags(flags))
    problems.push({ path: `--${name}`, message: 'is empty (leave the flag out instead)' });
  if (flags['return-time'] !== undefined && flags['return-date'] === undefined)
    problems.push({ path: '--return-time', message: 'needs --return-date (the return leg is only added with a date)' });
  if (problems.length) throw new TripFlagsInvalid(command, problems);
  if ((flags.arrival || flags.utc) && !flags.time && !flags['return-time']) {
    throw new TripFlagsInvalid(command, [
      { path: `--${flags.arrival ? 'arrival' : 'utc'}`, message: 'needs --time (it says what the time means)' },
    ]);
  }
  const passengers = isPaxTbd(flags.pax!) ? { paxTBD: true as const } : { pax: paxOf(flags.pax!) };
  const meaning = { ...(flags.arrival ? { arrival: true } : {}), ...(flags.utc ? { utc: true } : {}) };
  const outbound = {
    from: flags.from!,
    to: flags.to!,
    date: flags.date!,
    ...passengers,
    ...(flags.time ? { time: flags.time, ...meaning } : {}),
  };
  const legs = [outbound];
  if (flags['return-date']) {
    legs.push({
      from: outbound.to,
      to: outbound.from,
      date: flags['return-date'],
      ...passengers,
      ...(flags['return-time'] ? { time: flags['return-time'], ...meaning } : {}),
    });
  }
  return {
    externalId: flags['external-id'] ?? options.newExternalId?.() ?? `cf-${randomBytes(5).toString('hex')}`,
    legs,
    ...(flags.category ? { aircraftCategory: categoryOf(flags.category) as StartTripInput['aircraftCategory'] } : {}),
    ...(flags.lift?.length ? { requiredLift: flags.lift.map(liftOf) as StartTripInput['requiredLift'] } : {}),
    ...(flags['max-fuel-stops'] !== undefined ? { maxFuelStopsPerSegment: wholeOf(flags['max-fuel-stops']) } : {}),
    ...(flags['min-year-of-make'] !== undefined ? { minimumYearOfMake: wholeOf(flags['min-year-of-make']) } : {}),
    ...(flags['include-lift-upgrades'] ? { includeLiftUpgrades: true } : {}),
    ...(flags['output-currency']?.length
      ? { outputCurrencies: flags['output-currency'].map((currency) => currency.trim().toUpperCase()) }
      : {}),
    ...(flags.deadline ? { quoteDeadline: parseDeadline(flags.deadline, nowMs) } : {}),
    ...(flags['on-reset'] ? { onReset: flags['on-reset'] as StartTripInput['onReset'] } : {}),
    ...(flags['callback-url'] ? { callbackUrl: flags['callback-url'] } : {}),
  };
}

/** TripRequest field path → the flag it came from. The return leg's route and pax repeat the outbound flags. */
const FLAG_OF_FIELD: Record<string, string | null> = {
  externalId: '--external-id',
  'legs[0].from': '--from',
  'legs[0].to': '--to',
  'legs[0].date': '--date',
  'legs[0].time': '--time',
  'legs[0].pax': '--pax',
  'legs[1].from': null,
  'legs[1].to': null,
  'legs[1].date': '--return-date',
  'legs[1].time': '--return-time',
  'legs[1].pax': null,
  aircraftCategory: '--category',
  requiredLift: '--lift',
  maxFuelStopsPerSegment: '--max-fuel-stops',
  minimumYearOfMake: '--min-year-of-make',
  outputCurrencies: '--output-currency',
  'legs[0].arrival': '--arrival',
  'legs[0].utc': '--utc',
  'legs[0].paxTBD': '--pax',
  quoteDeadline: '--deadline',
  onReset: '--on-reset',
  callbackUrl: '--callback-url',
};

/** `legs[0].from` + `must differ …` → `--to must differ from --from …`; null for a problem another flag already reports. */
function inFlagTerms({ path: field, message }: Problem): { flag: string; message: string } | null {
  // Repeatable flags: `requiredLift[1].aircraftTail: …` → `--lift #2 aircraftTail …`, `outputCurrencies[0]: …` → `--output-currency #1 …`
  const entry = /^(requiredLift|outputCurrencies)\[(\d+)\]\.?(\w*)$/.exec(field);
  if (entry) {
    const repeated = entry[1] === 'requiredLift' ? '--lift' : '--output-currency';
    return { flag: repeated, message: `#${Number(entry[2]) + 1}${entry[3] ? ` ${entry[3]}` : ''} ${message}` };
  }
  const flag = FLAG_OF_FIELD[field];
  if (flag === null) return null;
  const named = message.replace(/legs\[[01]\]\.\w+/g, (ref) => FLAG_OF_FIELD[ref] ?? ref);
  return { flag: flag ?? field, message: named };
}

/**
 * The trip flags as a validated, normalized TripRequest (see parseTripRequest), or TripFlagsInvalid
 * naming every bad flag at once: `create-trip: 2 problems with the trip flags: - --to … - --pax …`.
 */
export function tripRequestFromFlags(flags: TripFlags, options: TripFlagsOptions = {}): TripRequest {
  const command = options.command ?? 'trip start';
  const nowMs = options.nowMs ?? Date.now();
  const input = tripInputFromFlags(flags, nowMs, { ...options, command });
  const problems = new Map<string, string>();
  let request: TripRequest | undefined;
  try {
    request = parseTripRequest(input, nowMs);
  } catch (error) {
    if (!(error instanceof TripRequestInvalid)) throw error;
    for (const named of error.problems.map(inFlagTerms)) {
      if (named && !problems.has(named.flag)) problems.set(named.flag, named.message);
    }
  }
  if (problems.size || !request)
    throw new TripFlagsInvalid(
      command,
      [...problems].map(([flag, message]) => ({ path: flag, message })),
    );
  return request;
}
