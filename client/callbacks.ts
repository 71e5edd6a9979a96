// `import … from 'charterflow/callbacks'`: for a backend that receives the signed JSON events a run
// POSTs to its `callbackUrl` (deep link ready, quote received, phase changed).
export {
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
  signCallback,
  verifyCallbackSignature,
} from '../platform/callback-signature.ts';
export type { CallbackEvent, CallbackEventType, DeepLinks, QuoteSnapshot, TripPhase } from '../workflows/contract.ts';
