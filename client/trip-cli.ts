// `charterflow trip start|status|watch|cancel|select|message|extend|list`: the client library from a shell.
import { parseArgs } from 'node:util';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { temporalConnectionOptions } from '../platform/temporal-connection.ts';
import { loadCommandConfig } from '../platform/config.ts';
import {
  CANCEL_REASONS,
  EXPIRY_POLICIES,
  TERMINAL_PHASES,
  TRIP_PHASES,
  type CancelReason,
  type ExpiryPolicy,
  type TripPhase,
  type TripProgress,
} from '../workflows/contract.ts';
import { cheapestQuoteId, declineReasonText, money } from '../workflows/presentation.ts';
import { CharterClient, TripRequestInvalid } from './index.ts';
import { describeChanges } from './trip-changes.ts';
import { parseDeadline, TRIP_FLAG_OPTIONS, tripRequestFromFlags, UsageError } from './trip-flags.ts';

const USAGE = `Usage: charterflow trip <command> [options]   (--json: machine-readable output)

  start --from ICAO --to ICAO --date YYYY-MM-DD [--time HH:MM [--arrival] [--utc]] --pax N|TBD
        [--category "Midsize jet" | --lift SPEC ...] [--max-fuel-stops N] [--min-year-of-make YYYY]
        [--include-lift-upgrades] [--output-currency USD ...]
        (SPEC: a category, or type=…, tail=…, category=…, comma-separated)
        [--return-date YYYY-MM-DD [--return-time HH:MM]] [--external-id ID] [--deadline ISO|30m|2h|3d]
        [--on-reset recreate|fail] [--on-expiry cancel|keep] [--end-when-all-answered]
        [--act-as ACCOUNT] [--callback-url URL] [--watch]
  status <externalId>
  watch <externalId>
  message <externalId> <rfqId> <text>
  select <externalId> <quoteId> [--close-others]
  cancel <externalId> [--reason ${CANCEL_REASONS.join('|')}] [--message TEXT]
  extend <externalId> --until ISO|30m|2h|3d
  list [--phase ${TRIP_PHASES.join('|')}]

A run waits in awaiting_selection once every lift is answered: select a quote (reported to Avinode
as the trip's outcome), message an operator, extend the deadline or cancel. At the deadline the
Avinode trip is cancelled (--on-expiry keep leaves it open).`;

function pad(text: string, width: number) {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

/** The terminal view of a run: phase, RFQs, the live quotes (cheapest marked), declines and messages. */
export function renderProgress(progress: TripProgress): string {
  const lines = [
    `${progress.workflowId}  ${progress.route}  phase: ${progress.phase.toUpperCase()}${progress.tripId ? `  Avinode trip ${progress.tripId} (${progress.atripId})` : ''}`,
  ];
  if (progress.deepLinks?.searchInAvinode) lines.push(`deep link: ${progress.deepLinks.searchInAvinode}`);
  if (progress.blockedReason && progress.phase === 'blocked') lines.push(`blocked: ${progress.blockedReason}`);
  const c = progress.counts;
  lines.push(
    `RFQs ${c.rfqs} · lifts ${c.lifts} (answered ${c.answered}) · quotes ${c.quotes} · declines ${c.declines} · polls ${c.polls} · webhooks ${c.webhooks}${progress.resets ? ` · sandbox resets ${progress.resets}` : ''}`,
  );
  if (progress.quoteDeadline) lines.push(`quote deadline: ${progress.quoteDeadline}`);
  if (progress.note) lines.push(`note: ${progress.note}`);
  const live = progress.quotes.filter((quote) => !quote.vanishedAt);
  if (live.length) {
    const cheapest = cheapestQuoteId(progress);
    lines.push(
      '',
      `${pad('QUOTE', 22)} ${pad('RFQ', 16)} ${pad('OPERATOR', 26)} ${pad('AIRCRAFT', 26)} ${'PRICE'.padStart(14)}`,
    );
    for (const q of live) {
      const aircraft = [q.aircraftType ?? q.aircraftCategory, q.aircraftTail].filter(Boolean).join(' ');
      const marks = [
        progress.selectedQuoteId === q.quoteId ? '✔ selected' : '',
        q.quoteId === cheapest ? '← cheapest' : '',
        q.priceHistory.length
          ? `re-priced from ${money(q.priceHistory.at(-1)!.price, q.priceHistory.at(-1)!.currency)}`
          : '',
      ].filter(Boolean);
      lines.push(
        `${pad(q.quoteId, 22)} ${pad(q.rfqId ?? '—', 16)} ${pad(q.operator, 26)} ${pad(aircraft || '—', 26)} ${money(q.price, q.currency).padStart(14)}${marks.length ? `  ${marks.join(' · ')}` : ''}`,
      );
    }
  }
  if (progress.declines.length) {
    lines.push('', 'declined:');
    for (const d of progress.declines)
      lines.push(
        `  ${d.operator} (${d.rfqId})${d.declineReason ? ` — ${declineReasonText(d.declineReason)}` : ''}${d.message ? `: ${d.message}` : ''}`,
      );
  }
  const chats = progress.messages.filter((message) => !message.quoteId && !message.declineReason).slice(-5);
  if (chats.length) {
    lines.push('', 'messages:');
    for (const m of chats)
      lines.push(
        `  ${m.direction === 'sent' ? '→' : '←'} ${m.operator ?? m.rfqId ?? ''} (${m.rfqId ?? '—'}): ${m.text}`,
      );
  }
  if (progress.phase === 'awaiting_selection') {
    lines.push(
      '',
      `every lift answered — next: charterflow trip select ${progress.externalId} <quoteId> · trip message ${progress.externalId} <rfqId> <text> · trip cancel ${progress.externalId}`,
    );
  }
  if (progress.outcomeReport) {
    const report = progress.outcomeReport;
    lines.push(
      '',
      report.status === 'reported'
        ? `outcome ${report.outcome} reported to Avinode (winning lift ${report.winningSellerLiftId})`
        : `outcome report FAILED: ${report.error} (the selection stands)`,
    );
  }
  if (progress.endReason) lines.push('', `ended: ${progress.endReason}`);
  return lines.join('\n');
}

const CHANGES_SHOWN = 12;

/**
 * Follows a run until it ends. A terminal gets the whole view redrawn with the latest changes under
 * it; anything else (a pipe, a log) gets one timestamped line per change.
 */
async function watchTrip(client: CharterClient, externalId: string, json: boolean): Promise<TripProgress | undefined> {
  const tty = process.stdout.isTTY && !json;
  let last: TripProgress | undefined;
  const recent: string[] = [];
  for await (const progress of client.watch(externalId, { intervalMs: 1_000 })) {
    const changes = describeChanges(last, progress);
    last = progress;
    if (json) {
      process.stdout.write(`${JSON.stringify(progress)}\n`);
      continue;
    }
    const stamp = new Date().toISOString().slice(11, 19);
    const stamped = changes.map((change) => `[${stamp}] ${change}`);
    if (tty) {
      recent.push(...stamped);
      recent.splice(0, Math.max(0, recent.length - CHANGES_SHOWN));
      process.stdout.write(
        `\x1b[2J\x1b[H${renderProgress(progress)}\n\nchanges:\n${recent.map((line) => `  ${line}`).join('\n')}\n`,
      );
    } else if (stamped.length) {
      process.stdout.write(`${stamped.join('\n')}\n`);
    }
  }
  if (last && !json && !tty) process.stdout.write(`\n${renderProgress(last)}\n`);
  return last;
}

/** An update the run refused (unknown quote or RFQ, run already ended): its reason, for the user. */
function refusal(error: unknown): string | undefined {
  if (!(error instanceof WorkflowUpdateFailedError)) return undefined;
  return error.cause?.message ?? error.message;
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
      'on-expiry': { type: 'string' },
      'end-when-all-answered': { type: 'boolean' },
      'act-as': { type: 'string' },
      'close-others': { type: 'boolean' },
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
  const print = (data: unknown, text: string) =>
    process.stdout.write(`${json ? JSON.stringify(data, null, 2) : text}\n`);
  const needId = () => {
    if (!args[0]) throw new UsageError(`trip ${command}: the external id is required`);
    return args[0];
  };

  let client: CharterClient | undefined;
  try {
    // Flags are checked before connecting, so a typo is reported without Temporal running.
    const input = command === 'start' ? tripRequestFromFlags(values, { command: 'trip start' }) : undefined;
    if (input) {
      const onExpiry = values['on-expiry'];
      if (onExpiry !== undefined && !EXPIRY_POLICIES.includes(onExpiry as ExpiryPolicy))
        throw new UsageError(`--on-expiry: must be ${EXPIRY_POLICIES.join(' or ')}`);
      if (onExpiry) input.onExpiry = onExpiry as ExpiryPolicy;
      if (values['end-when-all-answered']) input.endWhenAllAnswered = true;
      if (values['act-as'] !== undefined) input.actAsAccount = values['act-as'];
    }
    if (command === 'message' && (!args[0] || !args[1] || !args.slice(2).join(' ').trim())) {
      throw new UsageError('trip message: usage: trip message <externalId> <rfqId> <text>');
    }
    if (command === 'select' && !args[1])
      throw new UsageError('trip select: usage: trip select <externalId> <quoteId> [--close-others]');
    if (command === 'list' && values.phase !== undefined && !TRIP_PHASES.includes(values.phase as TripPhase)) {
      throw new UsageError(`--phase: must be one of ${TRIP_PHASES.join(', ')}`);
    }
    const config = loadCommandConfig();
    const connection = temporalConnectionOptions(config.temporal);
    const { address } = connection;
    client = await CharterClient.connect({
      ...connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      continueAsNewAfterEvents: config.trips.continueAsNewAfterEvents,
      avinodeTaskQueue: config.temporal.avinodeTaskQueue,
    }).catch((error: Error) => {
      throw new UsageError(
        `cannot reach Temporal at ${address} (${error.message}). Is \`npm start\` running, or TEMPORAL_ADDRESS set?`,
      );
    });
    switch (command) {
      case 'start': {
        // CALLBACK_URL is the default receiver of signed events for trips started here.
        if (config.callback.url && !input!.callbackUrl) input!.callbackUrl = config.callback.url;
        const started = await client.startTrip(input!);
        print(
          started,
          [
            `workflow   ${started.workflowId}${started.reused ? ' (already existed: attached to the running trip)' : ''}`,
            `trip       ${started.tripId} (${started.atripId})`,
            `deep link  ${started.deepLinks.searchInAvinode ?? started.deepLinks.viewInAvinode ?? '(none returned)'}`,
            ...(values.watch ? [] : ['', `Watch it: npx charterflow trip watch ${input!.externalId}`]),
          ].join('\n'),
        );
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
        if (!CANCEL_REASONS.includes(reason as CancelReason))
          throw new UsageError(`--reason: must be one of ${CANCEL_REASONS.join(', ')}`);
        const progress = await client.cancelTrip(needId(), {
          reason: reason as CancelReason,
          ...(values.message ? { messageToSeller: values.message } : {}),
        });
        print(progress, renderProgress(progress));
        return 0;
      }
      case 'select': {
        const progress = await client.selectQuote(needId(), args[1]!, {
          closeOtherRequests: Boolean(values['close-others']),
        });
        print(progress, renderProgress(progress));
        return 0;
      }
      case 'message': {
        const progress = await client.sendMessage(needId(), args[1]!, args.slice(2).join(' '));
        print(
          progress,
          `message sent to ${progress.rfqs.find((rfq) => rfq.rfqId === args[1])?.operator ?? args[1]} (${args[1]})`,
        );
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
            : trips
                .map(
                  (t) =>
                    `${pad(t.externalId, 24)} ${pad(t.phase ?? '?', 18)} ${pad(t.route ?? '', 16)} ${pad(t.avinodeTripId ?? '', 8)} quotes ${t.quoteCount ?? 0}  ${t.status}`,
                )
                .join('\n'),
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
    const refused = refusal(error);
    if (refused !== undefined) {
      process.stderr.write(`trip ${command}: ${refused}\n`);
      return 1;
    }
    throw error;
  } finally {
    await client?.close();
  }
}
