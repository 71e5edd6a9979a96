// Timeout and retry presets for the workflows' activity proxies (plain data, workflow-safe).
// One retry layer: Temporal's. 429 and 5xx are retryable types; everything in
// NON_RETRYABLE_FAILURE_TYPES stops at once and lets the workflow decide.
import type { ActivityOptions } from '@temporalio/common';
import type { CharterActivities } from './activity-types.ts';
import { NON_RETRYABLE_FAILURE_TYPES } from './contract.ts';

const nonRetryableErrorTypes = [...NON_RETRYABLE_FAILURE_TYPES];

/**
 * Activities heartbeat while their HTTP call is in flight (the activity interceptor, activities/interceptors.ts), so a worker
 * that dies mid-call is noticed after this long and the attempt is retried elsewhere;
 * `startToCloseTimeout` stays the outer bound of one attempt. Per run: `timing.activityHeartbeatMs`.
 */
export const DEFAULT_ACTIVITY_HEARTBEAT_MS = 20_000;

/** The preset with the run's heartbeat timeout (a non-positive or non-finite value keeps the default). */
export function withHeartbeatTimeout(options: ActivityOptions, heartbeatMs: number | undefined): ActivityOptions {
  const valid = heartbeatMs !== undefined && Number.isFinite(heartbeatMs) && heartbeatMs > 0;
  return { ...options, heartbeatTimeout: valid ? heartbeatMs : DEFAULT_ACTIVITY_HEARTBEAT_MS };
}

/**
 * Activities that call the Avinode API. They run on the Avinode task queue (`<task queue>-avinode`),
 * whose activity rate limit (AVINODE_RATE_LIMIT_PER_SECOND, `maxTaskQueueActivitiesPerSecond`) the
 * server enforces across every worker polling it; everything else (callbacks to the broker,
 * visibility lookups) runs on the main queue, unlimited. Workers register these on both queues, so
 * activities older runs scheduled on the main queue still complete.
 */
export const AVINODE_ACTIVITY_TYPES = [
  'createTrip',
  'readTripState',
  'resolveAvinodeEvent',
  'findTripOfEvent',
  'findDuplicateTrips',
  'cancelAvinodeTrip',
  'reportTripOutcome',
  'sendTripMessage',
  'cancelRfq',
  'checkCredentials',
] as const satisfies readonly (keyof CharterActivities)[];

export { AVINODE_TASK_QUEUE_SUFFIX, avinodeTaskQueueOf } from './contract.ts';

/**
 * Task-queue priority (lower goes first; Temporal's default is 3). The Avinode queue's activity rate
 * limit (AVINODE_RATE_LIMIT_PER_SECOND) is shared by every run, so under load the backlog is ordered by
 * what a person is waiting for: creating or cancelling a trip (the caller holds the start call for
 * the deep link), then webhook-driven reads, then callbacks, and last the reconciliation polls,
 * which only catch what webhooks missed. Servers order by priority with `matching.useNewMatcher`
 * (set by workers/dev-server.ts and deploy/temporal/dynamicconfig.yaml); others ignore it.
 */
export const ActivityPriority = { userWaiting: 1, webhookRead: 2, callback: 3, reconciliationPoll: 4 } as const;

/** POST /trips: must eventually succeed (find-or-create makes retries safe), so attempts are unbounded. */
export const createTripOptions: ActivityOptions = {
  startToCloseTimeout: '60s',
  heartbeatTimeout: DEFAULT_ACTIVITY_HEARTBEAT_MS,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '2m', nonRetryableErrorTypes },
  priority: { priorityKey: ActivityPriority.userWaiting },
  summary: 'create the Avinode trip',
};

/**
 * Reads (reconciliation poll, webhook resolution): bounded, because the next poll is a retry
 * too; a long outage (sandbox rebuild) shows up as failed polls, not as a stuck loop.
 */
export const readOptions: ActivityOptions = {
  startToCloseTimeout: '60s',
  heartbeatTimeout: DEFAULT_ACTIVITY_HEARTBEAT_MS,
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes },
};

/** The reconciliation poll: last in the queue (see ActivityPriority). */
export const pollOptions: ActivityOptions = {
  ...readOptions,
  priority: { priorityKey: ActivityPriority.reconciliationPoll },
};

/** Resolving a webhook event: ahead of polls, it is what makes a quote appear promptly. */
export const eventReadOptions: ActivityOptions = {
  ...readOptions,
  priority: { priorityKey: ActivityPriority.webhookRead },
};

/** Looking for a second Avinode trip of the run (after a create it could not confirm, or an event naming one). */
export const duplicateCheckOptions: ActivityOptions = {
  ...readOptions,
  priority: { priorityKey: ActivityPriority.reconciliationPoll },
  summary: 'look for duplicate Avinode trips',
};

export const cancelOptions: ActivityOptions = {
  startToCloseTimeout: '60s',
  heartbeatTimeout: DEFAULT_ACTIVITY_HEARTBEAT_MS,
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes },
  priority: { priorityKey: ActivityPriority.userWaiting },
  summary: 'cancel the Avinode trip',
};

/** A blocked run checks its credentials once per re-check; the next re-check is the retry. */
export const credentialCheckOptions: ActivityOptions = {
  startToCloseTimeout: '30s',
  heartbeatTimeout: DEFAULT_ACTIVITY_HEARTBEAT_MS,
  retry: { maximumAttempts: 3, initialInterval: '1s', nonRetryableErrorTypes },
  priority: { priorityKey: ActivityPriority.userWaiting },
  summary: 'check Avinode credentials',
};

/** Callbacks: retried durably with backoff for about a day, never blocking the main loop. */
export const callbackOptions: ActivityOptions = {
  startToCloseTimeout: '30s',
  heartbeatTimeout: DEFAULT_ACTIVITY_HEARTBEAT_MS,
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m', nonRetryableErrorTypes },
  priority: { priorityKey: ActivityPriority.callback },
  summary: 'deliver callback',
};

/**
 * Report trip outcome, after a selection: retried with backoff for up to an hour (a sandbox rebuild
 * can take that long); past that, or on a rejection retrying cannot fix, the run records the failure
 * and ends `completed` anyway: the selection is never lost. Per run: `timing.outcomeReportTimeoutMs`.
 */
export const DEFAULT_OUTCOME_REPORT_TIMEOUT_MS = 60 * 60_000;
export const outcomeReportOptions: ActivityOptions = {
  startToCloseTimeout: '60s',
  heartbeatTimeout: DEFAULT_ACTIVITY_HEARTBEAT_MS,
  scheduleToCloseTimeout: DEFAULT_OUTCOME_REPORT_TIMEOUT_MS,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '2m', nonRetryableErrorTypes },
  priority: { priorityKey: ActivityPriority.userWaiting },
  summary: 'report the trip outcome',
};

/** A chat the broker is waiting on: a few quick attempts, then the update answers with the failure. */
export const messageOptions: ActivityOptions = {
  startToCloseTimeout: '30s',
  heartbeatTimeout: DEFAULT_ACTIVITY_HEARTBEAT_MS,
  scheduleToCloseTimeout: '2m',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '20s',
    maximumAttempts: 5,
    nonRetryableErrorTypes,
  },
  priority: { priorityKey: ActivityPriority.userWaiting },
  summary: 'send a message to the operator',
};

/** Cancelling the RFQs a selection leaves behind (closeOtherRequests). */
export const cancelRfqOptions: ActivityOptions = { ...cancelOptions, summary: 'cancel an RFQ' };
