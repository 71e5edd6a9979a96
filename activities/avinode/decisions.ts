// The broker's decisions carried back to Avinode: report the trip outcome, chat with an operator,
// cancel one RFQ (avinode-api.md §7, §13). Paths come from routes.ts.
import { z } from 'zod';
import type { CancelReason, TripOutcome } from '../../workflows/contract.ts';
import type { AvinodeHttp, CallOptions } from './http.ts';
import { avinodeRoute } from './routes.ts';
import { MessageRef } from './schemas.ts';

export interface TripOutcomeReport {
  outcome: TripOutcome;
  /** Only with CONVERTED: the winning seller lift (sets the winning tenant). */
  winningSellerLiftId: string;
}

/** Report trip outcome: `{ outcome, winningSellerLiftId }` for the trip in the path. */
export async function reportTripOutcome(
  http: AvinodeHttp,
  atripId: string,
  report: TripOutcomeReport,
  options: CallOptions = {},
): Promise<{ status: number }> {
  const { status } = await http.call({
    ...options,
    ...avinodeRoute('reportTripOutcome'),
    params: { id: atripId },
    body: { outcome: report.outcome, winningSellerLiftId: report.winningSellerLiftId },
    schema: z.unknown(),
    softErrors: 'fail',
  });
  return { status };
}

/** What Avinode answers to a sent message, when it answers with the message resource. */
const SentMessage = z
  .object({ id: MessageRef.optional(), createdOn: z.string().optional() })
  .optional()
  .catch(undefined);

/** Send a message on an RFQ: body `message` (required), `suppressNotification`. */
export async function sendTripMessage(
  http: AvinodeHttp,
  arfqId: string,
  message: { message: string; suppressNotification?: boolean },
  options: CallOptions = {},
): Promise<{ messageId?: string; createdOn?: string }> {
  const { data } = await http.call({
    ...options,
    ...avinodeRoute('sendTripMessage'),
    params: { id: arfqId },
    body: { message: message.message, suppressNotification: message.suppressNotification ?? false },
    schema: SentMessage,
    softErrors: 'fail',
  });
  return { ...(data?.id ? { messageId: data.id } : {}), ...(data?.createdOn ? { createdOn: data.createdOn } : {}) };
}

/** Cancel a single RFQ; the message goes to its operator. */
export async function cancelRfq(
  http: AvinodeHttp,
  arfqId: string,
  cancel: { reason: CancelReason; messageToSeller: string },
  options: CallOptions = {},
): Promise<{ status: number }> {
  const { status } = await http.call({
    ...options,
    ...avinodeRoute('cancelRfq'),
    params: { id: arfqId },
    body: { id: arfqId, reason: cancel.reason, messageToSeller: cancel.messageToSeller },
    schema: z.unknown(),
    softErrors: 'fail',
  });
  return { status };
}
