// The worker's workflow bundle entry: workflow functions only.
export { charterTripWorkflow } from './charter-trip.ts';
export { avinodeEventWorkflow } from './avinode-event.ts';
export { unknownAvinodeEventWorkflow } from './unknown-event.ts';
