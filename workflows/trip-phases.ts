// The contract's phase values that pure modules need at runtime: contract.ts re-exports them (it
// also loads @temporalio/workflow for its message definitions, which unit-tested modules must not).
import type { TripPhase } from './contract.ts';

/** Phases a run never leaves. */
export const TERMINAL_PHASES: readonly TripPhase[] = ['completed', 'cancelled', 'expired', 'failed'];
