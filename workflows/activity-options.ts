// Timeout and retry presets for the workflows' activity proxies (plain data, workflow-safe).
// One retry layer: Temporal's. 429 and 5xx are retryable types; everything in
// NON_RETRYABLE_FAILURE_TYPES stops at once and lets the workflow decide.
import type { ActivityOptions } from '@temporalio/common';
import { NON_RETRYABLE_FAILURE_TYPES } from './contract.ts';

const nonRetryableErrorTypes = [...NON_RETRYABLE_FAILURE_TYPES];

/** POST /trips: must eventually succeed (find-or-create makes retries safe), so attempts are unbounded. */
export const createTripOptions: ActivityOptions = {
  startToCloseTimeout: '60s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '2m', nonRetryableErrorTypes },
  summary: 'create the Avinode trip',
};

/**
 * Reads (reconciliation poll, webhook resolution): bounded, because the next poll is a retry
 * too; a long outage (sandbox rebuild) shows up as failed polls, not as a stuck loop.
 */
export const readOptions: ActivityOptions = {
  startToCloseTimeout: '60s',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes },
};

export const cancelOptions: ActivityOptions = {
  startToCloseTimeout: '60s',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes },
  summary: 'cancel the Avinode trip',
};

/** A blocked run checks its credentials once per re-check; the next re-check is the retry. */
export const credentialCheckOptions: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 3, initialInterval: '1s', nonRetryableErrorTypes },
  summary: 'check Avinode credentials',
};

/** Callbacks: retried durably with backoff for about a day, never blocking the main loop. */
export const callbackOptions: ActivityOptions = {
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m', nonRetryableErrorTypes },
  summary: 'deliver callback',
};
