// Drives a run to its end the way a broker would, whichever way the workflow ends: a run that waits
// for the broker's decision (phase `awaiting_selection`, or every lift answered with live quotes)
// gets the cheapest live quote selected; a run where every operator declined is cancelled; a run
// that ended by itself (`completed` once every lift answered) is taken as it is.
import type { CharterClient } from '../../client/index.ts';
import { TERMINAL_PHASES, type QuoteRecord, type TripProgress } from '../../workflows/contract.ts';

export const AWAITING_SELECTION = 'awaiting_selection';

export const isTerminal = (progress: TripProgress) => TERMINAL_PHASES.includes(progress.phase);
export const liveQuotes = (progress: TripProgress): QuoteRecord[] =>
  progress.quotes.filter((quote) => !quote.vanishedAt);
const allLiftsAnswered = (progress: TripProgress) =>
  progress.counts.lifts > 0 && progress.counts.answered >= progress.counts.lifts;

/**
 * The broker's turn: the run waits for a selection, or has every lift answered and has stayed open
 * for `stableForMs` (a run that ends by itself first confirms with a poll: deciding in that moment
 * would cut the confirmation short).
 */
export function awaitsDecision(progress: TripProgress, allAnsweredForMs = 0, stableForMs = 45_000): boolean {
  if (isTerminal(progress)) return false;
  return (
    (progress.phase as string) === AWAITING_SELECTION || (allLiftsAnswered(progress) && allAnsweredForMs >= stableForMs)
  );
}

/** The cheapest quote the broker can still choose: live, and not on a lift its operator has since declined. */
export function cheapestLiveQuote(progress: TripProgress): QuoteRecord | undefined {
  const declinedLifts = new Set(
    progress.rfqs.flatMap((rfq) => rfq.lifts.filter((lift) => lift.status === 'declined').map((lift) => lift.liftId)),
  );
  return liveQuotes(progress)
    .filter((quote) => !quote.liftId || !declinedLifts.has(quote.liftId))
    .sort((a, b) => a.price - b.price || a.quoteId.localeCompare(b.quoteId))[0];
}

export interface Settled {
  progress: TripProgress;
  /** The quote the driver selected, when it had to decide. */
  selectedByDriver?: string;
  cancelledByDriver: boolean;
}

/**
 * Polls getProgress until the run is terminal, deciding for the broker when asked. Errors while
 * polling (a worker or the server restarting) are retried; the deadline only bounds a broken run.
 */
export async function settleRun(charter: CharterClient, externalId: string, timeoutMs: number): Promise<Settled> {
  const deadline = Date.now() + timeoutMs;
  let selectedByDriver: string | undefined;
  let cancelledByDriver = false;
  let last: TripProgress | undefined;
  let lastError: unknown;
  let allAnsweredSince: number | undefined;
  while (Date.now() < deadline) {
    try {
      last = await charter.getProgress(externalId);
      if (isTerminal(last))
        return { progress: last, ...(selectedByDriver ? { selectedByDriver } : {}), cancelledByDriver };
      if (allLiftsAnswered(last)) allAnsweredSince ??= Date.now();
      if (
        awaitsDecision(last, allAnsweredSince === undefined ? 0 : Date.now() - allAnsweredSince) &&
        !selectedByDriver &&
        !cancelledByDriver
      ) {
        const cheapest = cheapestLiveQuote(last);
        if (cheapest) {
          await charter.selectQuote(externalId, cheapest.quoteId);
          selectedByDriver = cheapest.quoteId;
        } else if ((last.phase as string) === AWAITING_SELECTION || last.counts.declines >= last.counts.lifts) {
          await charter.cancelTrip(externalId, { reason: 'BY_CLIENT' });
          cancelledByDriver = true;
        }
      }
    } catch (error) {
      // Between workers, during a server restart, or an update racing a run that just ended itself.
      lastError = error;
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
  const detail = last && { phase: last.phase, counts: last.counts, blockedReason: last.blockedReason };
  throw new Error(
    `${externalId} did not settle in ${timeoutMs} ms; last progress: ${JSON.stringify(detail)}; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
  );
}
