// What an operator reads in the Temporal UI: the one-line static summary and the Markdown
// current details. Pure and workflow-safe (the client imports tripSummary too).
import type { TripLeg, TripProgress, TripRequest } from './contract.ts';

/** `KTEB-KPBI-KTEB`: the airports in order (the Route search attribute and progress.route). */
export function routeOf(legs: readonly Pick<TripLeg, 'from' | 'to'>[]): string {
  if (legs.length === 0) return '';
  return [legs[0]!.from, ...legs.map((leg) => leg.to)].join('-');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function legDate(leg: Pick<TripLeg, 'date' | 'time'>): string {
  const [, month, day] = leg.date.split('-');
  const name = MONTHS[Number(month) - 1] ?? month;
  return `${Number(day)} ${name}${leg.time ? ` ${leg.time}` : ''}`;
}

/** `KTEB→KPBI · 14 May 09:30 · 5 pax`; a round trip adds the return date (`… · return 18 May`). */
export function tripSummary(request: Pick<TripRequest, 'legs'>): string {
  const [first, ...rest] = request.legs;
  if (!first) return '(no legs)';
  const airports = [first.from, ...request.legs.map((leg) => leg.to)];
  const counts = request.legs.flatMap((leg) => (leg.pax !== undefined ? [leg.pax] : []));
  const pax = counts.length > 0 ? `${Math.max(...counts)} pax` : 'pax TBD';
  const parts = [airports.join('→'), legDate(first), pax];
  const last = rest.at(-1);
  if (last)
    parts.push(`${request.legs.length === 2 && last.to === first.from ? 'return' : 'last leg'} ${legDate(last)}`);
  return parts.join(' · ');
}

function cell(value: string | number | undefined): string {
  return value === undefined || value === '' ? '—' : String(value).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function money(price: number, currency: string): string {
  return `${price.toLocaleString('en-US', { maximumFractionDigits: 2 })} ${currency}`;
}

/** The run at a glance: phase, ids, RFQs per lift and quotes, as Markdown. */
export function renderDetails(progress: TripProgress): string {
  const lines: string[] = [];
  lines.push(`**Phase:** ${progress.phase}${progress.blockedReason ? ` — ${cell(progress.blockedReason)}` : ''}`);
  if (progress.tripId) lines.push(`**Trip:** ${progress.tripId} (${progress.atripId ?? '—'})`);
  if (progress.deepLinks?.searchInAvinode) lines.push(`**Deep link:** ${progress.deepLinks.searchInAvinode}`);
  if (progress.quoteDeadline) lines.push(`**Quote deadline:** ${progress.quoteDeadline}`);
  const counts = progress.counts;
  lines.push(
    `**Counts:** ${counts.rfqs} RFQs · ${counts.answered}/${counts.lifts} lifts answered · ${counts.quotes} quotes · ${counts.declines} declines · ${counts.polls} polls · ${counts.webhooks} webhooks${progress.resets > 0 ? ` · ${progress.resets} resets` : ''}`,
  );
  if (progress.phase === 'awaiting_selection')
    lines.push('**Waiting for the broker:** every lift is answered; select a quote, message an operator, or cancel.');
  if (progress.note) lines.push(`**Note:** ${cell(progress.note)}`);
  if (progress.selectedQuoteId) lines.push(`**Selected quote:** ${progress.selectedQuoteId}`);
  const report = progress.outcomeReport;
  if (report) {
    lines.push(
      report.status === 'reported'
        ? `**Outcome reported to Avinode:** ${report.outcome}, winning lift ${report.winningSellerLiftId}`
        : `**Outcome report FAILED:** ${cell(report.error)} — the selection stands; report it in Avinode by hand`,
    );
  }
  if (progress.closedRequests?.length) {
    lines.push(
      `**Other RFQs closed:** ${progress.closedRequests.map((closed) => `${cell(closed.operator)} ${closed.status === 'cancelled' ? '✓' : `failed (${cell(closed.error)})`}`).join(' · ')}`,
    );
  }
  if (progress.duplicateTrips?.length) {
    const outcome = (duplicate: NonNullable<TripProgress['duplicateTrips']>[number]) =>
      duplicate.status === 'failed'
        ? `cancel failed (${cell(duplicate.error)}), retried when seen again`
        : duplicate.status;
    lines.push(
      `**Duplicate Avinode trips found and withdrawn:** ${progress.duplicateTrips.map((duplicate) => `${cell(duplicate.tripId ?? duplicate.atripId)} ${outcome(duplicate)}`).join(' · ')}`,
    );
  }
  if (progress.endReason) lines.push(`**Ended:** ${cell(progress.endReason)}`);
  if (progress.rfqs.length > 0) {
    lines.push('', '| RFQ | Operator | Lift | Aircraft | Status | Price |', '|---|---|---|---|---|---|');
    for (const rfq of progress.rfqs) {
      const cancelled = rfq.cancelled
        ? ` · RFQ cancelled by ${rfq.cancelled.by}${rfq.cancelled.reason ? ` (${rfq.cancelled.reason})` : ''}`
        : '';
      for (const lift of rfq.lifts) {
        const price = lift.price !== undefined && lift.currency ? money(lift.price, lift.currency) : undefined;
        lines.push(
          `| ${cell(rfq.rfqId)} | ${cell(rfq.operator)} | ${cell(lift.liftId)} | ${cell(lift.aircraftType ?? lift.aircraftCategory)} | ${lift.status}${cancelled ? cell(cancelled) : ''} | ${cell(price)} |`,
        );
      }
      if (rfq.lifts.length === 0) {
        const answer = rfq.cancelled
          ? `cancelled${cancelled}`
          : (rfq.quoteIds?.length ?? 0) > 0
            ? 'quoted on the RFQ'
            : 'unanswered';
        lines.push(`| ${cell(rfq.rfqId)} | ${cell(rfq.operator)} | — | — | ${cell(answer)} | — |`);
      }
    }
  }
  const quotes = progress.quotes.filter((quote) => !quote.vanishedAt);
  if (quotes.length > 0) {
    const cheapest = cheapestQuoteId(progress);
    lines.push(
      '',
      '| Quote | Operator | Aircraft | Seats | Price | Re-priced | Seller message |',
      '|---|---|---|---|---|---|---|',
    );
    for (const quote of quotes) {
      const marks = [
        quote.quoteId === progress.selectedQuoteId ? '✔ selected' : '',
        quote.quoteId === cheapest ? 'cheapest' : '',
      ]
        .filter(Boolean)
        .join(', ');
      lines.push(
        `| ${cell(quote.quoteId)}${marks ? ` (${marks})` : ''} | ${cell(quote.operator)} | ${cell(quote.aircraftType ?? quote.aircraftCategory)} | ${cell(quote.seats)} | ${money(quote.price, quote.currency)} | ${quote.priceHistory.length > 0 ? `${quote.priceHistory.length}×` : '—'} | ${cell(quote.sellerMessage)} |`,
      );
    }
  }
  if (progress.declines.length > 0) {
    lines.push('', '| Declined by | RFQ | Reason | Message |', '|---|---|---|---|');
    for (const decline of progress.declines) {
      lines.push(
        `| ${cell(decline.operator)} | ${cell(decline.rfqId)} | ${cell(decline.declineReason ? declineReasonText(decline.declineReason) : undefined)} | ${cell(decline.message)} |`,
      );
    }
  }
  const chats = progress.messages.filter((message) => !message.quoteId && !message.declineReason);
  if (chats.length > 0) {
    lines.push('', '| Message | Operator | RFQ | Text |', '|---|---|---|---|');
    for (const message of chats.slice(-MESSAGES_SHOWN)) {
      lines.push(
        `| ${message.direction === 'sent' ? '→ sent' : '← received'} | ${cell(message.operator)} | ${cell(message.rfqId)} | ${cell(message.text)} |`,
      );
    }
  }
  return lines.join('\n');
}

const MESSAGES_SHOWN = 20;

/** `CREW_NOT_AVAILABLE` → `crew not available`. */
export function declineReasonText(reason: string): string {
  return reason.toLowerCase().replace(/_/g, ' ');
}

/**
 * The cheapest live quote. With the run's outputCurrencies every quote carries a converted price and
 * all compare; otherwise only quotes in the first quote's currency do (no rate is guessed).
 */
export function cheapestQuoteId(progress: Pick<TripProgress, 'quotes'>): string | undefined {
  const live = progress.quotes.filter((quote) => !quote.vanishedAt);
  const common = live[0]?.convertedPrices?.find((converted) =>
    live.every((quote) => quote.convertedPrices?.some((other) => other.currency === converted.currency)),
  )?.currency;
  const priceOf = (quote: (typeof live)[number]) =>
    common ? quote.convertedPrices!.find((converted) => converted.currency === common)!.price : quote.price;
  const comparable = common ? live : live.filter((quote) => quote.currency === live[0]?.currency);
  return comparable.reduce<(typeof live)[number] | undefined>(
    (best, quote) => (!best || priceOf(quote) < priceOf(best) ? quote : best),
    undefined,
  )?.quoteId;
}
