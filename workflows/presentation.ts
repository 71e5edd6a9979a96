// What an operator reads in the Temporal UI: the one-line static summary and the Markdown
// current details. Pure and workflow-safe (the client imports tripSummary too).
import type { TripLeg, TripProgress, TripRequest } from './contract.ts';

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
  const pax = Math.max(...request.legs.map((leg) => leg.pax));
  const parts = [airports.join('→'), legDate(first), `${pax} pax`];
  const last = rest.at(-1);
  if (last) parts.push(`${request.legs.length === 2 && last.to === first.from ? 'return' : 'last leg'} ${legDate(last)}`);
  return parts.join(' · ');
}

function cell(value: string | number | undefined): string {
  return value === undefined || value === '' ? '—' : String(value).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function money(price: number, currency: string): string {
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
  if (progress.selectedQuoteId) lines.push(`**Selected quote:** ${progress.selectedQuoteId}`);
  if (progress.endReason) lines.push(`**Ended:** ${cell(progress.endReason)}`);
  if (progress.rfqs.length > 0) {
    lines.push('', '| RFQ | Operator | Lift | Aircraft | Status | Price |', '|---|---|---|---|---|---|');
    for (const rfq of progress.rfqs) {
      for (const lift of rfq.lifts) {
        const price = lift.price !== undefined && lift.currency ? money(lift.price, lift.currency) : undefined;
        lines.push(`| ${cell(rfq.rfqId)} | ${cell(rfq.operator)} | ${cell(lift.liftId)} | ${cell(lift.aircraftType ?? lift.aircraftCategory)} | ${lift.status} | ${cell(price)} |`);
      }
    }
  }
  const quotes = progress.quotes.filter((quote) => !quote.vanishedAt);
  if (quotes.length > 0) {
    lines.push('', '| Quote | Operator | Aircraft | Seats | Price | Re-priced |', '|---|---|---|---|---|---|');
    for (const quote of quotes) {
      lines.push(
        `| ${cell(quote.quoteId)} | ${cell(quote.operator)} | ${cell(quote.aircraftType ?? quote.aircraftCategory)} | ${cell(quote.seats)} | ${money(quote.price, quote.currency)} | ${quote.priceHistory.length > 0 ? `${quote.priceHistory.length}×` : '—'} |`,
      );
    }
  }
  return lines.join('\n');
}
