// What changed between two progress snapshots of a run, as the lines `trip watch` prints:
// "RFQ sent to …", "quote 20,700 USD from …", "re-priced 21,900 → 20,500 USD", "declined by … (…)".
import type { QuoteRecord, TripProgress } from '../workflows/contract.ts';
import { declineReasonText, money } from '../workflows/presentation.ts';

function aircraftOf(quote: Pick<QuoteRecord, 'aircraftType' | 'aircraftCategory' | 'aircraftTail'>): string {
  return [quote.aircraftType ?? quote.aircraftCategory, quote.aircraftTail].filter(Boolean).join(' ');
}

function quoted(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 120 ? `“${line.slice(0, 119)}…”` : `“${line}”`;
}

/** One line per change from `previous` (undefined: the first snapshot) to `next`, oldest first. */
export function describeChanges(previous: TripProgress | undefined, next: TripProgress): string[] {
  const lines: string[] = [];
  if (next.tripId && next.atripId !== previous?.atripId) {
    lines.push(
      `${previous?.atripId ? 'trip re-created after a sandbox reset' : 'trip created'}: ${next.tripId} (${next.atripId})${next.deepLinks?.searchInAvinode ? ` — deep link ${next.deepLinks.searchInAvinode}` : ''}`,
    );
  }
  const knownRfqs = new Set(previous?.rfqs.map((rfq) => rfq.rfqId));
  for (const rfq of next.rfqs) if (!knownRfqs.has(rfq.rfqId)) lines.push(`RFQ sent to ${rfq.operator} (${rfq.rfqId})`);
  const closedByRun = new Set(next.closedRequests?.map((closed) => closed.rfqId));
  for (const rfq of next.rfqs) {
    const before = previous?.rfqs.find((known) => known.rfqId === rfq.rfqId);
    if (!rfq.cancelled || before?.cancelled || closedByRun.has(rfq.rfqId)) continue;
    lines.push(
      `RFQ to ${rfq.operator} cancelled by ${rfq.cancelled.by}${rfq.cancelled.reason ? ` (${rfq.cancelled.reason})` : ''}`,
    );
  }

  const before = new Map(previous?.quotes.map((quote) => [quote.quoteId, quote]));
  for (const quote of next.quotes) {
    const old = before.get(quote.quoteId);
    if (!old) {
      const aircraft = aircraftOf(quote);
      lines.push(
        `quote ${money(quote.price, quote.currency)} from ${quote.operator}${aircraft ? ` (${aircraft})` : ''} — ${quote.quoteId}${quote.sellerMessage ? ` ${quoted(quote.sellerMessage)}` : ''}`,
      );
    } else if (old.price !== quote.price || old.currency !== quote.currency) {
      const from =
        old.currency === quote.currency
          ? old.price.toLocaleString('en-US', { maximumFractionDigits: 2 })
          : money(old.price, old.currency);
      lines.push(`re-priced ${from} → ${money(quote.price, quote.currency)} by ${quote.operator} — ${quote.quoteId}`);
    }
  }

  const declinesBefore = new Map(previous?.declines.map((decline) => [decline.liftId, decline]));
  for (const decline of next.declines) {
    const old = declinesBefore.get(decline.liftId);
    const reason = decline.declineReason ? ` (${declineReasonText(decline.declineReason)})` : '';
    const message = decline.message ? ` ${quoted(decline.message)}` : '';
    if (!old) lines.push(`declined by ${decline.operator}${reason}${message}`);
    else if (!old.declineReason && decline.declineReason)
      lines.push(`decline reason from ${decline.operator}${reason}${message}`);
  }

  const messagesBefore = new Set(previous?.messages.map((message) => message.messageId));
  for (const message of next.messages) {
    if (messagesBefore.has(message.messageId) || message.quoteId || message.declineReason) continue;
    const who = message.operator ?? message.rfqId ?? 'the operator';
    lines.push(
      message.direction === 'sent'
        ? `message to ${who}: ${quoted(message.text)}`
        : `message from ${who}: ${quoted(message.text)}`,
    );
  }

  if (next.phase !== previous?.phase) {
    const reason = next.phaseHistory.at(-1)?.phase === next.phase ? next.phaseHistory.at(-1)?.reason : undefined;
    lines.push(
      `phase ${previous ? `${previous.phase} → ` : ''}${next.phase}${reason && next.phase !== 'completed' && next.phase !== 'expired' && next.phase !== 'cancelled' ? ` (${reason})` : ''}`,
    );
  }
  if (next.note && next.note !== previous?.note) lines.push(`note: ${next.note}`);
  if (next.outcomeReport && !previous?.outcomeReport) {
    const report = next.outcomeReport;
    lines.push(
      report.status === 'reported'
        ? `outcome ${report.outcome} reported to Avinode (winning lift ${report.winningSellerLiftId})`
        : `outcome report to Avinode FAILED: ${report.error} — the selection stands`,
    );
  }
  for (const closed of next.closedRequests ?? []) {
    if (previous?.closedRequests?.some((known) => known.rfqId === closed.rfqId)) continue;
    lines.push(
      closed.status === 'cancelled'
        ? `RFQ to ${closed.operator} cancelled`
        : `cancelling the RFQ to ${closed.operator} failed: ${closed.error}`,
    );
  }
  if (next.endReason && next.endReason !== previous?.endReason) lines.push(`ended: ${next.endReason}`);
  return lines;
}
