// `charterflow trip start|status|watch|cancel|select|list`: the client library from a shell.
import { parseArgs } from 'node:util';
import { temporalConnectionOptions } from '../workers/temporal-connection.ts';
import { loadCommandConfig } from '../workers/config.ts';
import { CANCEL_REASONS, TERMINAL_PHASES, type CancelReason, type TripPhase, type TripProgress } from '../workflows/contract.ts';
import { CharterClient, TripRequestInvalid } from './index.ts';
import { parseDeadline, TRIP_FLAG_OPTIONS, tripRequestFromFlags, UsageError } from './trip-flags.ts';

const USAGE = `Usage: charterflow trip <command> [options]   (--json: machine-readable output)

  start --from ICAO --to ICAO --date YYYY-MM-DD [--time HH:MM] --pax N [--category "Midsize jet"]
        [--return-date YYYY-MM-DD [--return-time HH:MM]] [--external-id ID] [--deadline ISO|30m|2h|3d]
        [--on-reset recreate|fail] [--callback-url URL] [--watch]
  status <externalId>
  watch <externalId>
  cancel <externalId> [--reason ${CANCEL_REASONS.join('|')}] [--message TEXT]
  select <externalId> <quoteId>
  extend <externalId> --until ISO|30m|2h|3d
  list [--phase PHASE]`;


function pad(text: string, width: number) {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

/** The terminal view of a run: phase, RFQs and the quotes table. */
export function renderProgress(progress: TripProgress): string {
  const lines = [
    `${progress.workflowId}  ${progress.route}  phase: ${progress.phase.toUpperCase()}${progress.tripId ? `  Avinode trip ${progress.tripId} (${progress.atripId})` : ''}`,
  ];
  if (progress.deepLinks?.searchInAvinode) lines.push(`deep link: ${progress.deepLinks.searchInAvinode}`);
  if (progress.blockedReason && progress.phase === 'blocked') lines.push(`blocked: ${progress.blockedReason}`);
  const c = progress.counts;
  lines.push(`RFQs ${c.rfqs} · lifts ${c.lifts} (answered ${c.answered}) · quotes ${c.quotes} · declines ${c.declines} · polls ${c.polls} · webhooks ${c.webhooks}${progress.resets ? ` · sandbox resets ${progress.resets}` : ''}`);
  if (progress.quoteDeadline) lines.push(`quote deadline: ${progress.quoteDeadline}`);
  if (progress.quotes.length) {
    lines.push('', `${pad('QUOTE', 22)} ${pad('OPERATOR', 26)} ${pad('AIRCRAFT', 28)} ${'PRICE'.padStart(14)}`);
    for (const q of progress.quotes) {
      const aircraft = [q.aircraftType ?? q.aircraftCategory, q.aircraftTail].filter(Boolean).join(' ');
      const price = `${q.price.toLocaleString('en-US')} ${q.currency}`;
      const marker = progress.selectedQuoteId === q.quoteId ? ' ✔ selected' : q.priceHistory.length ? ' (re-priced)' : '';
      lines.push(`${pad(q.quoteId, 22)} ${pad(q.operator, 26)} ${pad(aircraft || '—', 28)} ${price.padStart(14)}${marker}`);
    }
  }
  if (progress.declines.length) lines.push('', `declined by: ${progress.declines.map((d) => d.operator).join(', ')}`);
  if (progress.endReason) lines.push('', `ended: ${progress.endReason}`);
  return lines.join('\n');
}

async function watchTrip(client: CharterClient, externalId: string, json: boolean): Promise<TripProgress | undefined> {
  const tty = process.stdout.isTTY && !json;
  let last: TripProgress | undefined;
  for await (const progress of client.watch(externalId, { intervalMs: 1_000 })) {
    last = progress;
    if (json) process.stdout.write(`${JSON.stringify(progress)}\n`);
    else if (tty) process.stdout.write(`\x1b[2J\x1b[H${renderProgress(progress)}\n`);
    else process.stdout.write(`[${new Date().toISOString()}] ${progress.phase} · quotes ${progress.counts.quotes} · declines ${progress.counts.declines} · RFQs ${progress.counts.rfqs}\n`);
  }
  if (last && !json && !tty) process.stdout.write(`${renderProgress(last)}\n`);
  return last;
}

export async function runTripCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      watch: { type: 'boolean' },
      ...TRIP_FLAG_OPTIONS,
      deadline: { type: 'string' },
      until: { type: 'string' },
      'on-reset': { type: 'string' },
      'callback-url': { type: 'string' },
      reason: { type: 'string' },
      message: { type: 'string' },
      phase: { type: 'string' },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const json = Boolean(values.json);
  const print = (data: unknown, text: string) => process.stdout.write(`${json ? JSON.stringify(data, null, 2) : text}\n`);
  const needId = () => {
    if (!args[0]) throw new UsageError(`trip ${command}: the external id is required`);
    return args[0];
  };

  let client: CharterClient | undefined;
  try {
    // Flags are checked before connecting, so a typo is reported without Temporal running.
    const input = command === 'start' ? tripRequestFromFlags(values, { command: 'trip start' }) : undefined;
    const config = loadCommandConfig();
    const connection = temporalConnectionOptions(config.temporal);
    const { address } = connection;
    client = await CharterClient.connect({ ...connection, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue }).catch((error: Error) => {
      throw new UsageError(`cannot reach Temporal at ${address} (${error.message}). Is \`npm start\` running, or TEMPORAL_ADDRESS set?`);
    });
    switch (command) {
      case 'start': {
        // CALLBACK_URL is the default receiver of signed events for trips started here.
        if (config.callback.url && !input!.callbackUrl) input!.callbackUrl = config.callback.url;
        const started = await client.startTrip(input!);
        print(started, [
          `workflow   ${started.workflowId}${started.reused ? ' (already existed: attached to the running trip)' : ''}`,
          `trip       ${started.tripId} (${started.atripId})`,
          `deep link  ${started.deepLinks.searchInAvinode ?? started.deepLinks.viewInAvinode ?? '(none returned)'}`,
          ...(values.watch ? [] : ['', `Watch it: npx charterflow trip watch ${input!.externalId}`]),
        ].join('\n'));
        if (values.watch) await watchTrip(client, input!.externalId, json);
        return 0;
      }
      case 'status': {
        const progress = await client.getProgress(needId());
        print(progress, renderProgress(progress));
        return 0;
      }
      case 'watch': {
        const last = await watchTrip(client, needId(), json);
        return last && TERMINAL_PHASES.includes(last.phase) && last.phase !== 'failed' ? 0 : 1;
      }
      case 'cancel': {
        const reason = (values.reason ?? 'BY_CLIENT').toUpperCase();
        if (!CANCEL_REASONS.includes(reason as CancelReason)) throw new UsageError(`--reason: must be one of ${CANCEL_REASONS.join(', ')}`);
        const progress = await client.cancelTrip(needId(), { reason: reason as CancelReason, ...(values.message ? { messageToSeller: values.message } : {}) });
        print(progress, renderProgress(progress));
        return 0;
      }
      case 'select': {
        if (!args[1]) throw new UsageError('trip select: usage: trip select <externalId> <quoteId>');
        const progress = await client.selectQuote(needId(), args[1]);
        print(progress, renderProgress(progress));
        return 0;
      }
      case 'extend': {
        if (!values.until) throw new UsageError('trip extend: --until is required');
        const progress = await client.extendDeadline(needId(), parseDeadline(values.until));
        print(progress, renderProgress(progress));
        return 0;
      }
      case 'list': {
        const trips = await client.listTrips(values.phase ? { phase: values.phase as TripPhase } : {});
        print(
          trips,
          trips.length === 0
            ? 'No charter trips found.'
            : trips.map((t) => `${pad(t.externalId, 24)} ${pad(t.phase ?? '?', 18)} ${pad(t.route ?? '', 16)} ${pad(t.avinodeTripId ?? '', 8)} quotes ${t.quoteCount ?? 0}  ${t.status}`).join('\n'),
        );
        return 0;
      }
      default:
        throw new UsageError(`unknown trip command "${command}"\n\n${USAGE}`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof TripRequestInvalid) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    await client?.close();
  }
}
