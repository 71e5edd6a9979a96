// `charterflow avinode token|create-trip|get-trip|rfqs`: one direct call through the same API
// client and token layer the activities use, for debugging credentials against any base URL.
import { createAvinodeTokenSource } from '../activities/auth/index.ts';
import { parseArgs } from 'node:util';
import { createAvinodeClient, type AvinodeClient } from '../activities/avinode/client.ts';
import { loadConfig, type Config, isLoopback } from '../workers/config.ts';
import { createLogger, type Logger } from '../workers/logging.ts';
import { AIRCRAFT_CATEGORIES, type AircraftCategory, type TripLeg } from '../workflows/contract.ts';

export interface CliIo {
  env?: NodeJS.ProcessEnv;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  logger?: Logger;
  /** Tests and the doctor's method probe build token sources through this; default: activities/auth. */
  createTokenSource?: TokenSourceFactory;
}

/** What the commands need of a token source (activities/auth's TokenSource fits). */
export interface CliTokenSource {
  getToken(options?: { signal?: AbortSignal }): Promise<{ value: string; tokenType?: string; expiresInSeconds?: number }>;
  invalidate(token: { value: string }): boolean;
}

export type AvinodeTarget = Config['avinode'] & { baseUrl: string };

export class UsageError extends Error {
  override name = 'UsageError';
}


export const EMBEDDED_EMULATOR_HINT = [
  'AVINODE_BASE_URL is unset, so the target is the embedded emulator. It only runs inside',
  '`charterflow start` or `charterflow emulator` (default http://127.0.0.1:8280). Pass its API base,',
  'e.g. --base-url http://127.0.0.1:8280/api, or set AVINODE_BASE_URL to reach the Avinode sandbox.',
].join('\n');

/** The configured Avinode API, or `--base-url`; refuses plain HTTP except towards this machine. */
export function resolveTarget(config: Readonly<Config>, baseUrlFlag: string | undefined): AvinodeTarget {
  const raw = baseUrlFlag ?? config.avinode.baseUrl;
  if (!raw) throw new UsageError(EMBEDDED_EMULATOR_HINT);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError('--base-url: not an absolute URL (expected e.g. https://sandbox.avinode.com/api)');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new UsageError(
      `--base-url: ${url.protocol}//${url.host} is not HTTPS. Avinode is HTTPS-only and credentials never travel over plain HTTP except to this machine.`,
    );
  }
  return { ...config.avinode, baseUrl: raw.replace(/\/+$/, '') };
}

export type TokenSourceFactory = (target: AvinodeTarget, deps: { logger?: Logger }) => CliTokenSource;

export async function createTokenSourceFor(target: AvinodeTarget, logger?: Logger, factory?: TokenSourceFactory): Promise<CliTokenSource> {
  return (factory ?? createAvinodeTokenSource)(target, { ...(logger ? { logger } : {}) });
}

export function createClientFor(target: AvinodeTarget, tokenSource: CliTokenSource, logger?: Logger): AvinodeClient {
  return createAvinodeClient({
    baseUrl: target.baseUrl,
    apiToken: target.apiToken,
    product: target.product,
    apiVersion: target.apiVersion,
    ...(target.actAsAccount ? { actAsAccount: target.actAsAccount } : {}),
    tokenSource,
    ...(logger ? { logger } : {}),
    timeouts: { headersMs: target.httpTimeoutMs, bodyMs: target.httpTimeoutMs },
  });
}

export const AVINODE_USAGE = `Usage: charterflow avinode <command> [--base-url URL]

  token                                  request an access token; prints its type and lifetime (never the token)
  create-trip --from ICAO --to ICAO --date YYYY-MM-DD [--time HH:MM] --pax N
              [--category "Midsize jet"] [--return-date YYYY-MM-DD] [--return-time HH:MM] [--external-id ID]
                                         POST /trips; prints ids and deep links as JSON
  get-trip <atripId>                     GET /trips/{atripId}; prints the trip and its RFQs as JSON
  rfqs <tripId> [--atrip-id atrip-…]     GET /rfqs/{tripId} (falls back to the trip read); prints RFQs as JSON

Configuration comes from AVINODE_* variables (see .env.example); --base-url overrides AVINODE_BASE_URL.`;

const OPTIONS = {
  'base-url': { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  date: { type: 'string' },
  time: { type: 'string' },
  pax: { type: 'string' },
  category: { type: 'string' },
  'return-date': { type: 'string' },
  'return-time': { type: 'string' },
  'external-id': { type: 'string' },
  'atrip-id': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function required(values: Values, name: 'from' | 'to' | 'date' | 'pax'): string {
  const value = values[name];
  if (value === undefined || value.trim() === '') throw new UsageError(`create-trip: --${name} is required`);
  return value.trim();
}

/** Trip flags → legs (shared with `charterflow trip start`). */
export function legsFromFlags(values: {
  from?: string;
  to?: string;
  date?: string;
  time?: string;
  pax?: string;
  'return-date'?: string;
  'return-time'?: string;
}): TripLeg[] {
  const from = required(values as Values, 'from').toUpperCase();
  const to = required(values as Values, 'to').toUpperCase();
  const date = required(values as Values, 'date');
  const paxText = required(values as Values, 'pax');
  for (const [flag, value] of [['--from', from], ['--to', to]] as const) {
    if (!/^[A-Z0-9]{4}$/.test(value)) throw new UsageError(`create-trip: ${flag} must be a 4-character ICAO code (e.g. KTEB)`);
  }
  for (const [flag, value] of [['--date', date], ['--return-date', values['return-date']]] as const) {
    if (value !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new UsageError(`create-trip: ${flag} must be YYYY-MM-DD`);
  }
  for (const [flag, value] of [['--time', values.time], ['--return-time', values['return-time']]] as const) {
    if (value !== undefined && !/^([01]\d|2[0-3]):[0-5]\d$/.test(value)) throw new UsageError(`create-trip: ${flag} must be HH:MM (24 h)`);
  }
  if (!/^\d+$/.test(paxText) || Number(paxText) < 1) throw new UsageError('create-trip: --pax must be a whole number ≥ 1');
  const pax = Number(paxText);
  const legs: TripLeg[] = [{ from, to, date, ...(values.time ? { time: values.time } : {}), pax }];
  if (values['return-date']) {
    legs.push({ from: to, to: from, date: values['return-date'], ...(values['return-time'] ? { time: values['return-time'] } : {}), pax });
  }
  return legs;
}

export function categoryFromFlag(value: string | undefined): AircraftCategory | undefined {
  if (value === undefined) return undefined;
  const match = AIRCRAFT_CATEGORIES.find((category) => category.toLowerCase() === value.trim().toLowerCase());
  if (!match) throw new UsageError(`--category must be one of: ${AIRCRAFT_CATEGORIES.join(', ')}`);
  return match;
}

export async function runAvinodeCommand(argv: string[], io: CliIo = {}): Promise<number> {
  const out = io.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = io.stderr ?? ((text: string) => void process.stderr.write(text));
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    err(`charterflow avinode: ${(error as Error).message}\n\n${AVINODE_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    (values.help ? out : err)(`${AVINODE_USAGE}\n`);
    return values.help ? 0 : 2;
  }

  let client: AvinodeClient | undefined;
  try {
    const config = loadConfig(io.env ?? process.env);
    const target = resolveTarget(config, values['base-url']);
    const logger = io.logger ?? createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, name: 'charterflow-avinode' });
    const tokens = await createTokenSourceFor(target, logger, io.createTokenSource);
    switch (command) {
      case 'token': {
        const started = performance.now();
        const token = await tokens.getToken();
        const seconds = token.expiresInSeconds;
        const lifetime = seconds === undefined ? 'no expiry given (static token)' : `expires in ${seconds} s (~${Math.round(seconds / 60)} min)`;
        const method = target.auth === 'static' ? 'static bearer token' : target.clientAuthMethod;
        out(
          values.json
            ? `${JSON.stringify({ tokenType: token.tokenType ?? 'Bearer', expiresInSeconds: seconds ?? null, method, baseUrl: target.baseUrl })}\n`
            : `${token.tokenType ?? 'Bearer'} token via ${method} from ${target.baseUrl}: ${lifetime}, obtained in ${Math.round(performance.now() - started)} ms\n`,
        );
        return 0;
      }
      case 'create-trip': {
        const legs = legsFromFlags(values);
        const aircraftCategory = categoryFromFlag(values.category);
        const externalId = values['external-id'] ?? `cli-${new Date().toISOString().replace(/[-:.TZ]/g, '')}`;
        client = createClientFor(target, tokens, logger);
        const created = await client.createTrip({ legs, ...(aircraftCategory ? { aircraftCategory } : {}) }, externalId);
        out(`${JSON.stringify({ externalTripId: externalId, ...created }, null, 2)}\n`);
        return 0;
      }
      case 'get-trip': {
        const atripId = rest[0];
        if (!atripId) throw new UsageError('get-trip: give the trip reference, e.g. charterflow avinode get-trip atrip-70001234');
        if (!/^atrip-\S+$/.test(atripId)) throw new UsageError('get-trip: expected a prefixed trip reference (atrip-…); bare numbers are NOT_FOUND on Avinode');
        client = createClientFor(target, tokens, logger);
        const read = await client.readTrip(atripId);
        out(
          `${JSON.stringify({ atripId: read.trip.id, tripId: read.trip.tripId, href: read.trip.href, deepLinks: read.deepLinks, rfqs: read.rfqs, warnings: read.warnings }, null, 2)}\n`,
        );
        return 0;
      }
      case 'rfqs': {
        const tripId = rest[0];
        if (!tripId) throw new UsageError('rfqs: give the short trip id, e.g. charterflow avinode rfqs Q4K7ZP');
        client = createClientFor(target, tokens, logger);
        const atripId = values['atrip-id'];
        const read = await client.readTripRfqs({ tripId, ...(atripId ? { atripId } : {}) });
        out(`${JSON.stringify({ tripId, source: read.source, rfqs: read.rfqs, warnings: read.warnings }, null, 2)}\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown avinode command "${command}"\n\n${AVINODE_USAGE}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      err(`charterflow avinode: ${error.message}\n`);
      return 2;
    }
    if ((error as { name?: string }).name === 'ConfigError') throw error; // the dispatcher prints it (exit 78)
    err(`charterflow avinode ${command}: ${describeFailure(error)}\n`);
    return 1;
  } finally {
    await client?.close();
  }
}

/** One line for a thrown failure: its type and message (messages never carry secrets or bodies). */
export function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    const type = (error as { type?: unknown }).type;
    return typeof type === 'string' ? `${type}: ${error.message}` : error.message;
  }
  return String(error);
}
