// `charterflow emulator [options]`: runs the Avinode sandbox emulator until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config.ts';
import { createLogger } from '../platform/logging.ts';
import {
  DEFAULT_AUTOPILOT,
  emulatorCredentialsFromConfig,
  parseFaultFlag,
  REAL_WEBHOOK_RETRY,
  startEmulator,
  type EmulatorOptions,
} from './index.ts';
import { COMPRESSED_WEBHOOK_RETRY } from './webhooks.ts';

export const EMULATOR_USAGE = `Usage: charterflow emulator [options]

Runs the Avinode sandbox emulator (API under /api, admin API under /_emulator).
Credentials of its one API connection come from AVINODE_* variables (unset: local defaults).

  --port N                    listen port (default EMULATOR_PORT or 8280; 0 = any free port)
  --host H                    listen address (default 127.0.0.1)
  --public-base-url URL       origin used in hrefs and deep links (default the listening origin)
  --autopilot                 simulated broker and operators answer by themselves
  --documented-only           leave out the response fields Avinode does not document (see README: inferred shapes)
  --operators N               autopilot: RFQs per trip (default ${DEFAULT_AUTOPILOT.operators})
  --send-rfqs-after-ms N      autopilot: delay before the broker sends RFQs (default ${DEFAULT_AUTOPILOT.sendRfqsAfterMs})
  --quote-after-ms N          autopilot: delay before operators answer (default ${DEFAULT_AUTOPILOT.quoteAfterMs})
  --decline-ratio R           autopilot: share of operators that decline, 0..1 (default ${DEFAULT_AUTOPILOT.declineRatio})
  --chat-ratio R              autopilot: share of operators that chat first, 0..1 (default ${DEFAULT_AUTOPILOT.chatRatio})
  --chat-reply-ratio R        autopilot: share of broker messages an operator answers, 0..1 (default ${DEFAULT_AUTOPILOT.chatReplyRatio})
  --reprice-after-ms N        autopilot: re-price quotes after N ms (default ${DEFAULT_AUTOPILOT.repriceAfterMs}; 0 = never)
  --fault SPEC                a fault rule, repeatable: kind[@route][,probability=P][,times=N][,latencyMs=N][,retryAfterSeconds=N]
                              e.g. --fault "503@POST /api/trips,times=2"  --fault "429,probability=0.1,retryAfterSeconds=3"
  --seed N                    PRNG seed for probability faults, ids and the autopilot (default 1)
  --search-by-external-id on|off
                              [inferred] trip search by externalTripId (default on; off answers
                              GET /api/trips?externalTripId= like an unsupported search)
  --token-rpm N               token requests per minute before 429 (default 60)
  --clock-skew-ms N           accepted X-Avinode-SentTimestamp skew (default 300000)
  --webhook-first-delay-ms N  first webhook retry delay (default ${COMPRESSED_WEBHOOK_RETRY.firstDelayMs})
  --webhook-max-delay-ms N    longest webhook retry delay (default ${COMPRESSED_WEBHOOK_RETRY.maxDelayMs})
  --webhook-horizon-ms N      drop undelivered webhooks after N ms of retries (default ${COMPRESSED_WEBHOOK_RETRY.horizonMs})
  --real-webhook-retry        Avinode's real schedule: retries for 48 hours
  --reset-schedule            wipe the sandbox every Monday 06:00 UTC
  --wipe-credentials-on-reset with --reset-schedule: also regenerate client secret and API token
  --help                      this text
`;

function integer(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return n;
}

function ratio(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new Error(`--${name} must be a number from 0 to 1`);
  return n;
}

/** Parses the command line into emulator options; throws an Error naming the bad flag. */
export function parseEmulatorArgs(argv: string[]): { help: boolean; options: EmulatorOptions } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'public-base-url': { type: 'string' },
      autopilot: { type: 'boolean' },
      'documented-only': { type: 'boolean' },
      operators: { type: 'string' },
      'send-rfqs-after-ms': { type: 'string' },
      'quote-after-ms': { type: 'string' },
      'decline-ratio': { type: 'string' },
      'chat-ratio': { type: 'string' },
      'chat-reply-ratio': { type: 'string' },
      'reprice-after-ms': { type: 'string' },
      fault: { type: 'string', multiple: true },
      seed: { type: 'string' },
      'token-rpm': { type: 'string' },
      'clock-skew-ms': { type: 'string' },
      'webhook-first-delay-ms': { type: 'string' },
      'webhook-max-delay-ms': { type: 'string' },
      'webhook-horizon-ms': { type: 'string' },
      'real-webhook-retry': { type: 'boolean' },
      'reset-schedule': { type: 'boolean' },
      'wipe-credentials-on-reset': { type: 'boolean' },
      'search-by-external-id': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const options: EmulatorOptions = {};
  const port = integer('port', values.port, 0);
  if (port !== undefined) {
    if (port > 65_535) throw new Error('--port must be at most 65535');
    options.port = port;
  }
  if (values.host) options.host = values.host;
  if (values['documented-only']) options.inferredShapes = false;
  if (values['public-base-url']) {
    try {
      options.publicBaseUrl = new URL(values['public-base-url']).origin;
    } catch {
      throw new Error('--public-base-url must be an absolute URL');
    }
  }
  const repriceAfter = integer('reprice-after-ms', values['reprice-after-ms'], 0);
  options.autopilot = {
    ...DEFAULT_AUTOPILOT,
    enabled: values.autopilot === true,
    operators: integer('operators', values.operators, 1) ?? DEFAULT_AUTOPILOT.operators,
    sendRfqsAfterMs:
      integer('send-rfqs-after-ms', values['send-rfqs-after-ms'], 0) ?? DEFAULT_AUTOPILOT.sendRfqsAfterMs,
    quoteAfterMs: integer('quote-after-ms', values['quote-after-ms'], 0) ?? DEFAULT_AUTOPILOT.quoteAfterMs,
    declineRatio: ratio('decline-ratio', values['decline-ratio']) ?? DEFAULT_AUTOPILOT.declineRatio!,
    chatRatio: ratio('chat-ratio', values['chat-ratio']) ?? DEFAULT_AUTOPILOT.chatRatio!,
    chatReplyRatio: ratio('chat-reply-ratio', values['chat-reply-ratio']) ?? DEFAULT_AUTOPILOT.chatReplyRatio!,
  };
  if (repriceAfter === 0) delete options.autopilot.repriceAfterMs;
  else if (repriceAfter !== undefined) options.autopilot.repriceAfterMs = repriceAfter;
  if (options.autopilot.operators > 20) throw new Error('--operators must be at most 20');
  if (values.fault) options.faults = values.fault.map(parseFaultFlag);
  const seed = integer('seed', values.seed, 0);
  if (seed !== undefined) options.seed = seed;
  const rpm = integer('token-rpm', values['token-rpm'], 1);
  if (rpm !== undefined) options.tokenRequestsPerMinute = rpm;
  const skew = integer('clock-skew-ms', values['clock-skew-ms'], 0);
  if (skew !== undefined) options.clockSkewToleranceMs = skew;
  const base = values['real-webhook-retry'] ? REAL_WEBHOOK_RETRY : COMPRESSED_WEBHOOK_RETRY;
  options.webhookRetry = {
    firstDelayMs: integer('webhook-first-delay-ms', values['webhook-first-delay-ms'], 1) ?? base.firstDelayMs,
    maxDelayMs: integer('webhook-max-delay-ms', values['webhook-max-delay-ms'], 1) ?? base.maxDelayMs,
    horizonMs: integer('webhook-horizon-ms', values['webhook-horizon-ms'], 0) ?? base.horizonMs,
  };
  const search = values['search-by-external-id'];
  if (search !== undefined) {
    if (search !== 'on' && search !== 'off') throw new Error('--search-by-external-id must be on or off');
    options.searchByExternalId = search;
  }
  if (values['reset-schedule'])
    options.resetSchedule = { enabled: true, wipeCredentials: values['wipe-credentials-on-reset'] === true };
  return { help: values.help === true, options };
}

export async function runEmulatorCommand(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseEmulatorArgs>;
  try {
    parsed = parseEmulatorArgs(argv);
  } catch (error) {
    process.stderr.write(
      `charterflow emulator: ${error instanceof Error ? error.message : String(error)}\n\n${EMULATOR_USAGE}`,
    );
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(EMULATOR_USAGE);
    return 0;
  }
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'emulator' });
  const emulator = await startEmulator({
    port: config.emulator.port,
    ...parsed.options,
    credentials: emulatorCredentialsFromConfig(config.avinode),
    logger,
  });
  process.stdout.write(
    `${JSON.stringify({ event: 'listening', service: 'emulator', url: emulator.url, apiBaseUrl: emulator.apiBaseUrl })}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await emulator.close();
  logger.info({}, 'emulator stopped');
  return 0;
}
