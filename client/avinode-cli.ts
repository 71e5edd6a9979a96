// `charterflow avinode token|create-trip|get-trip|rfqs`: one direct call through the same API
// client and token layer the activities use, for debugging credentials against any base URL.
import { createAvinodeTokenSource } from '../activities/auth/index.ts';
import { parseArgs } from 'node:util';
import { createAvinodeClient, type AvinodeClient } from '../activities/avinode/client.ts';
import { loadCommandConfig, type Config } from '../platform/config.ts';
import { isHttpsOrLoopback } from '../platform/urls.ts';
import { createLogger, type Logger } from '../platform/logging.ts';
import { TRIP_FLAG_OPTIONS, tripRequestFromFlags, UsageError } from './trip-flags.ts';
import { tripCriteriaOf } from '../workflows/contract.ts';

export { UsageError } from './trip-flags.ts';

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
  getToken(options?: {
    signal?: AbortSignal;
  }): Promise<{ value: string; tokenType?: string; expiresInSeconds?: number }>;
  invalidate(token: { value: string }): boolean;
}

export type AvinodeTarget = Config['avinode'] & { baseUrl: string };

export const EMBEDDED_EMULATOR_HINT = [
  'AVINODE_BASE_URL is unset, so the target is the embedded emulator. It only runs inside',
  '`charterflow start` or `charterflow emulator` (default http://127.0.0.1:8280). Pass its API base,',
  'e.g. --base-url http://127.0.0.1:8280/api, or set AVINODE_BASE_URL to reach the Avinode sandbox.',
].join('\n');

/** The configured Avinode API, or `--base-url`; refuses plain HTTP except towards this machine. */
export function resolveTarget(
  config: Readonly<Pick<Config, 'avinode'>>,
  baseUrlFlag: string | undefined,
): AvinodeTarget {
  const raw = baseUrlFlag ?? config.avinode.baseUrl;
  if (!raw) throw new UsageError(EMBEDDED_EMULATOR_HINT);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError('--base-url: not an absolute URL (expected e.g. https://sandbox.avinode.com/api)');
  }
  if (!isHttpsOrLoopback(url)) {
    throw new UsageError(
      `--base-url: ${url.protocol}//${url.host} is not HTTPS. Avinode is HTTPS-only and credentials never travel over plain HTTP except to this machine.`,
    );
  }
  return { ...config.avinode, baseUrl: raw.replace(/\/+$/, '') };
}

export type TokenSourceFactory = (target: AvinodeTarget, deps: { logger?: Logger }) => CliTokenSource;

export async function createTokenSourceFor(
  target: AvinodeTarget,
  logger?: Logger,
  factory?: TokenSourceFactory,
): Promise<CliTokenSource> {
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
              [--category "Midsize jet" | --lift SPEC ...] [--max-fuel-stops N] [--min-year-of-make YYYY]
              [--include-lift-upgrades] [--arrival] [--utc] [--pax N|TBD]
              [--return-date YYYY-MM-DD] [--return-time HH:MM] [--external-id ID]
                                         POST /trips; prints ids and deep links as JSON
  get-trip <atripId>                     GET /trips/{atripId}; prints the trip and its RFQs as JSON
  rfqs <tripId> [--atrip-id atrip-…]     GET /rfqs/{tripId} (falls back to the trip read); prints RFQs as JSON

Configuration comes from AVINODE_* variables (see .env.example); --base-url overrides AVINODE_BASE_URL.`;

const OPTIONS = {
  'base-url': { type: 'string' },
  ...TRIP_FLAG_OPTIONS,
  'atrip-id': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

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
    // Webhook settings are the receiver's and the worker's: a direct call needs only AVINODE_*.
    const config = loadCommandConfig(io.env ?? process.env);
    const target = resolveTarget(config, values['base-url']);
    const logger =
      io.logger ??
      createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, name: 'charterflow-avinode' });
    const tokens = await createTokenSourceFor(target, logger, io.createTokenSource);
    switch (command) {
      case 'token': {
        const started = performance.now();
        const token = await tokens.getToken();
        const seconds = token.expiresInSeconds;
        const lifetime =
          seconds === undefined
            ? 'no expiry given (static token)'
            : `expires in ${seconds} s (~${Math.round(seconds / 60)} min)`;
        const method = target.auth === 'static' ? 'static bearer token' : target.clientAuthMethod;
        out(
          values.json
            ? `${JSON.stringify({ tokenType: token.tokenType ?? 'Bearer', expiresInSeconds: seconds ?? null, method, baseUrl: target.baseUrl })}\n`
            : `${token.tokenType ?? 'Bearer'} token via ${method} from ${target.baseUrl}: ${lifetime}, obtained in ${Math.round(performance.now() - started)} ms\n`,
        );
        return 0;
      }
      case 'create-trip': {
        const request = tripRequestFromFlags(values, {
          command: 'create-trip',
          newExternalId: () => `cli-${new Date().toISOString().replace(/[-:.TZ]/g, '')}`,
        });
        client = createClientFor(target, tokens, logger);
        const created = await client.createTrip(tripCriteriaOf(request), request.externalId);
        out(`${JSON.stringify({ externalTripId: request.externalId, ...created }, null, 2)}\n`);
        return 0;
      }
      case 'get-trip': {
        const atripId = rest[0];
        if (!atripId)
          throw new UsageError('get-trip: give the trip reference, e.g. charterflow avinode get-trip atrip-70001234');
        if (!/^atrip-\S+$/.test(atripId))
          throw new UsageError(
            'get-trip: expected a prefixed trip reference (atrip-…); bare numbers are NOT_FOUND on Avinode',
          );
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
