// charterTripWorkflow: one charter request from trip creation to a clean end (design.md §1–2).
// Webhooks are hints; the adaptive reconciliation poll is the source of truth.
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActivityOptions, SearchAttributePair } from '@temporalio/common';
import type { CharterActivities, CreateTripResult, CredentialCheck } from './activity-types.ts';
import {
  avinodeTaskQueueOf,
  callbackOptions,
  cancelOptions,
  cancelRfqOptions,
  createTripOptions,
  credentialCheckOptions,
  DEFAULT_OUTCOME_REPORT_TIMEOUT_MS,
  duplicateCheckOptions,
  eventReadOptions,
  messageOptions,
  outcomeReportOptions,
  pollOptions,
  withHeartbeatTimeout,
} from './activity-options.ts';
import {
  avinodeEvent,
  CANCEL_REASONS,
  cancelTrip,
  CREDENTIAL_FAILURE_TYPES,
  credentialsUpdated,
  DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS,
  DEFAULT_TIMING,
  extendDeadline,
  FailureType,
  getProgress,
  getTrip,
  MAX_MESSAGE_LENGTH,
  routeOf,
  SearchAttributes,
  selectQuote,
  sendMessage,
  TERMINAL_PHASES,
  tripCriteriaOf,
  type AvinodeEvent,
  type CallbackEvent,
  type ClosedRequest,
  type DeclineRecord,
  type DuplicateTrip,
  type DuplicateTripRecord,
  type OutcomeReport,
  type QuoteRecord,
  type QuoteSnapshot,
  type RfqSnapshot,
  type TripCreated,
  type TripMessageSnapshot,
  type TripPhase,
  type TripProgress,
  type TripRequest,
  type TripTiming,
} from './contract.ts';
import { failures } from './failures.ts';
import { tripMetrics } from './metrics.ts';
import { renderDetails } from './presentation.ts';
import { TripRunState, type CallbackNotice, type CarriedTripState } from './trip-state.ts';

export type { CarriedTripState } from './trip-state.ts';

/**
 * The run's activity proxies: the presets with the run's heartbeat timeout (`timing.activityHeartbeatMs`);
 * those calling Avinode on the Avinode task queue (its rate limit is the fleet's Avinode budget).
 */
function activitiesFor(timing: TripTiming, avinodeTaskQueue: string) {
  const avinode = (preset: ActivityOptions) => ({
    ...withHeartbeatTimeout(preset, timing.activityHeartbeatMs),
    taskQueue: avinodeTaskQueue,
  });
  return {
    createActs: proxyActivities<Pick<CharterActivities, 'createTrip'>>(avinode(createTripOptions)),
    pollActs: proxyActivities<Pick<CharterActivities, 'readTripState'>>(avinode(pollOptions)),
    eventActs: proxyActivities<Pick<CharterActivities, 'resolveAvinodeEvent'>>(avinode(eventReadOptions)),
    cancelActs: proxyActivities<Pick<CharterActivities, 'cancelAvinodeTrip'>>(avinode(cancelOptions)),
    credentialActs: proxyActivities<Pick<CharterActivities, 'checkCredentials'>>(avinode(credentialCheckOptions)),
    // Not an Avinode call: on the run's own task queue, outside the Avinode rate limit.
    callbackActs: proxyActivities<Pick<CharterActivities, 'deliverCallback'>>(
      withHeartbeatTimeout(callbackOptions, timing.activityHeartbeatMs),
    ),
    outcomeActs: proxyActivities<Pick<CharterActivities, 'reportTripOutcome'>>({
      ...avinode(outcomeReportOptions),
      scheduleToCloseTimeout: timing.outcomeReportTimeoutMs ?? DEFAULT_OUTCOME_REPORT_TIMEOUT_MS,
    }),
    messageActs: proxyActivities<Pick<CharterActivities, 'sendTripMessage'>>(avinode(messageOptions)),
    rfqCancelActs: proxyActivities<Pick<CharterActivities, 'cancelRfq'>>(avinode(cancelRfqOptions)),
    duplicateActs: proxyActivities<Pick<CharterActivities, 'findDuplicateTrips'>>(avinode(duplicateCheckOptions)),
  };
}

/** Failures a person must fix (credentials, permissions): the run waits in `blocked`, it does not fail. */
const CREDENTIAL_FAILURES: ReadonlySet<string> = new Set(CREDENTIAL_FAILURE_TYPES);
/** Local departure times have no zone here; +12 h is the latest UTC instant any zone can mean. */
const DEPARTURE_SLACK_MS = 12 * 3_600_000;
/** Patch id: runs recorded before it completed on webhook data alone, without a confirming poll. */
const CONFIRM_END_BY_POLL = 'confirm-end-by-poll';
/**
 * Patch id of the decision stage (awaiting_selection, outcome report, cancel on expiry). Checked once
 * at the start of each run: runs recorded before it keep ending when every lift is answered.
 */
const DECISION_STAGE = 'decision-stage';
/**
 * Patch id of duplicate-trip handling (a create retried after an ambiguous timeout may leave a second
 * Avinode trip): checked once at the start of each run, like DECISION_STAGE.
 */
const DUPLICATE_TRIPS = 'duplicate-trips';
/**
 * Patch id (issue 11): a fired wait timer, not the clock, says that the time it waited for has come,
 * and a due poll goes before pending events. A worker that rebuilds a run to answer a query (its
 * sticky worker was SIGKILLed) runs the events recorded since the last workflow task on that task's
 * clock, and the next task continues from there; a replay runs them with the next task, on its clock.
 * Checked once at the start of each run, like DECISION_STAGE. See `waitForNews`.
 */
const TIMER_DECIDES_WAKE = 'timer-decides-wake';
/**
 * Patch id of webhooks as wake-ups: an event no longer gets reads of its own; the first event of a
 * burst schedules one read of the trip (the reconciliation poll's read) `timing.webhookDebounceMs`
 * later, and every event until then rides on it. A message the receiver already read comes with the
 * event. Checked once at the start of each run, like DECISION_STAGE: runs recorded before it keep
 * resolving each event and confirming by poll.
 */
const WEBHOOK_WAKEUPS = 'webhook-wakeups';
const DEFAULT_WEBHOOK_DEBOUNCE_MS = 2_000;
/**
 * The debounce of runs started with BUNDLED_PATCHES: long enough to gather the notifications of one
 * operator's answer (seller response, chat) into one read, short enough that the quote reaches the
 * broker within a second. A different default for older runs would change when their reads happen.
 */
const BUNDLED_WEBHOOK_DEBOUNCE_MS = 500;
/**
 * Patch id of coalesced visibility writes: search attributes and current details are written once
 * per workflow task at most, only with values that changed (none the start already set). Checked
 * once at the start of each run, like DECISION_STAGE: older runs keep upserting at each change.
 */
const COALESCED_VISIBILITY = 'coalesced-visibility';
/**
 * Patch id that stands for every patch above: a run started with it records one marker (and the SDK
 * one TemporalChangeVersion upsert) instead of five of each, about 8 history events and 4 visibility
 * writes less per trip. Runs recorded before it check each patch as they did, in the same order.
 * A later change adds its own patch id next to this one and bundles again once it is the rule.
 */
const BUNDLED_PATCHES = 'bundled-2026-12';
/** Later lookups after a retried create whose lookup could not answer (one per poll). */
const DUPLICATE_LOOKUPS_AFTER_UNCONFIRMED_CREATE = 3;
const DUPLICATE_MESSAGE =
  'This request was created twice by mistake; this copy is withdrawn. The same trip stays open under its other request.';
const CLOSE_OTHERS_MESSAGE = 'Thank you for your quote. The client has chosen another option for this trip.';
const EXPIRY_MESSAGE = 'The quote deadline for this trip has passed without a selection. Thank you for your response.';
const DEPARTURE_MESSAGE =
  'The departure time of this trip has passed without a selection. Thank you for your response.';
const CALLBACK_DRAIN_BEFORE_CONTINUE_MS = 30_000;

export interface CharterTripInput extends TripRequest {
  /** Set only by the workflow itself when it continues as new. */
  carried?: CarriedTripState;
  /**
   * Set only by the client, from AVINODE_TASK_QUEUE, when it is not the derived `<task queue>-avinode`:
   * where the run schedules its Avinode calls. Carried over by continue-as-new with the request.
   */
  avinodeTaskQueue?: string;
}

export async function charterTripWorkflow(input: CharterTripInput): Promise<TripProgress> {
  const run = new TripRun(input);
  run.registerHandlers();
  return run.main();
}

function failureOf(error: unknown): { type?: string; message: string } {
  const failure = error instanceof ActivityFailure && error.cause ? error.cause : error;
  if (failure instanceof ApplicationFailure) return { type: failure.type ?? undefined, message: failure.message };
  if (failure instanceof Error) return { message: failure.message };
  return { message: String(error) };
}

function nominalDeparture(request: TripRequest): Date | undefined {
  const first = request.legs[0];
  if (!first) return undefined;
  const at = Date.parse(`${first.date}T${first.time ?? '00:00'}:00Z`);
  return Number.isNaN(at) ? undefined : new Date(at);
}

function departureDeadlineMs(request: TripRequest): number | undefined {
  const first = request.legs[0];
  if (!first) return undefined;
  const at = Date.parse(`${first.date}T${first.time ?? '23:59'}:00Z`);
  return Number.isNaN(at) ? undefined : at + DEPARTURE_SLACK_MS;
}

/** Avinode rebuilds the sandbox on Mondays 06:00–08:00 UTC; rejections then may be the rebuild, not the credentials. */
export function withResetWindowNote(reason: string, nowMs: number): string {
  const now = new Date(nowMs);
  const inside = now.getUTCDay() === 1 && now.getUTCHours() >= 6 && now.getUTCHours() < 8;
  return inside
    ? `${reason} (inside the weekly sandbox reset window, Mondays 06:00–08:00 UTC: may clear by itself)`
    : reason;
}

class TripRun extends TripRunState {
  private readonly timing: TripTiming;
  private readonly acts: ReturnType<typeof activitiesFor>;
  private readonly departureMs: number | undefined;

  /** A fired wait timer moves the run's clock to the time it waited for (patch TIMER_DECIDES_WAKE). */
  private timerDecidesWake = false;
  /** The latest time a fired wait timer stood for: the run's clock is never earlier (see `now`). */
  private clockFloorMs = -Infinity;
  /** The run cancels second Avinode trips carrying its externalTripId (patch DUPLICATE_TRIPS). */
  private handlesDuplicates = false;
  /** Visibility writes are coalesced (patch COALESCED_VISIBILITY); false only when replaying older runs. */
  private coalescedVisibility = false;
  /** Something operators see (search attributes, current details) may have changed since the last flush. */
  private visibilityDirty = false;
  /** Webhooks wake the run for one debounced trip read (patch WEBHOOK_WAKEUPS). */
  private wakeups = false;
  /** When the read webhooks asked for is due; undefined: no event waits for a read. */
  private readDueAtMs: number | undefined;
  /** The run was started with BUNDLED_PATCHES (every patch of 2026-12 at once). */
  private bundled = false;
  /** Events received before main() knew whether webhooks are wake-ups (the first activation's signals). */
  private eventsBeforeMain = 0;
  /** A decision (selection, cancellation, expiry) is being carried to Avinode: the loop stops polling. */
  private closing = false;
  private failure: ApplicationFailure | undefined;
  private credentialsHint = false;
  /** Wakes the main loop to recompute its timer (deadline extended). */
  private wake = false;
  private callbackChain: Promise<void> = Promise.resolve();
  private lastQuoteCount = -1;

  constructor(input: CharterTripInput) {
    const { carried, ...request } = input;
    const timing = { ...DEFAULT_TIMING, ...request.timing };
    super({
      workflowId: workflowInfo().workflowId,
      request,
      pollIntervalMs: timing.pollInitialMs,
      nowMs: Date.now(),
      ...(carried ? { carried } : {}),
    });
    this.timing = timing;
    this.acts = activitiesFor(this.timing, input.avinodeTaskQueue ?? avinodeTaskQueueOf(workflowInfo().taskQueue));
    this.departureMs = departureDeadlineMs(request);
  }

  // ── messages ────────────────────────────────────────────────────────────────

  registerHandlers(): void {
    setHandler(getProgress, () => this.progress());

    setHandler(getTrip, async () => {
      await condition(() => this.trip !== undefined || this.isTerminal());
      if (!this.trip) {
        throw failures.tripFailed(`no Avinode trip: ${this.endReason ?? this.phase}`);
      }
      return { workflowId: this.workflowId, ...this.trip };
    });

    setHandler(
      cancelTrip,
      async ({ reason, messageToSeller }) => {
        // A trip being created is cancelled once it exists; a run blocked before creation has none.
        await condition(() => this.trip !== undefined || this.isTerminal() || this.phase === 'blocked');
        if (this.isTerminal()) return this.progress();
        if (!this.trip) {
          this.end('cancelled', `cancelled (${reason}) before an Avinode trip existed`);
          return this.progress();
        }
        if (this.decisionStage) {
          this.closing = true;
          this.wake = true;
        }
        const message = messageToSeller ?? this.request.notes;
        const outcome = await this.cancelOnAvinode(this.trip, {
          reason,
          ...(message ? { messageToSeller: message } : {}),
        });
        this.end('cancelled', `cancelled (${reason})${outcome}`);
        return this.progress();
      },
      {
        validator: ({ reason }) => {
          if (!CANCEL_REASONS.includes(reason)) throw new Error(`reason must be one of ${CANCEL_REASONS.join(', ')}`);
          this.assertOpenForDecision();
        },
      },
    );

    setHandler(
      selectQuote,
      ({ quoteId, closeOtherRequests }) => {
        if (!this.decisionStage) {
          // Synchronous, as recorded before the decision stage (an async handler would reorder replayed commands).
          this.selectedQuoteId = quoteId;
          this.end('completed', `quote ${quoteId} selected`);
          return this.progress();
        }
        return this.select(this.quotes.get(quoteId)!, closeOtherRequests === true).then(() => this.progress());
      },
      {
        validator: ({ quoteId, closeOtherRequests }) => {
          this.assertOpenForDecision();
          if (closeOtherRequests !== undefined && typeof closeOtherRequests !== 'boolean')
            throw new Error('closeOtherRequests must be true or false');
          const quote = this.quotes.get(quoteId);
          if (!quote)
            throw new Error(
              `unknown quote ${quoteId}; ${this.knownIds(
                'quote',
                this.selectableQuotes().map((known) => known.quoteId),
              )}`,
            );
          if (quote.vanishedAt)
            throw new Error(
              `quote ${quoteId} belonged to a trip that vanished in a sandbox reset; ${this.knownIds(
                'quote',
                this.selectableQuotes().map((known) => known.quoteId),
              )}`,
            );
          if (!this.decisionStage) return;
          if (!this.trip)
            throw new Error('the run has no Avinode trip right now (it is being re-created after a sandbox reset)');
          const lift = this.liftOf(quote);
          if (lift?.status === 'declined')
            throw new Error(`quote ${quoteId} is on a lift the operator has since declined`);
          if (!this.winningLiftIdOf(quote))
            throw new Error(`quote ${quoteId} names no seller lift, which Avinode's outcome report needs`);
        },
      },
    );

    setHandler(
      sendMessage,
      async ({ rfqId, message }) => {
        const rfq = this.rfqs.get(rfqId)!;
        const text = message.trim();
        let sent;
        try {
          sent = await this.acts.messageActs.sendTripMessage({ rfqId, message: text, ...this.actingAs() });
        } catch (error) {
          throw failures.final(
            failureOf(error).type ?? FailureType.TripFailed,
            `message to ${rfq.operator} not sent: ${failureOf(error).message}`,
          );
        }
        const messageId = sent.messageId ?? `abuyermsg-local-${uuid4()}`;
        this.readMessageIds.add(messageId);
        this.addMessage({
          messageId,
          direction: 'sent',
          operator: rfq.operator,
          rfqId,
          text,
          createdOn: sent.createdOn ?? new Date().toISOString(),
        });
        this.refreshDetails();
        return this.progress();
      },
      {
        validator: ({ rfqId, message }) => {
          this.assertOpenForDecision();
          if (typeof message !== 'string' || message.trim() === '') throw new Error('message must be non-empty text');
          if (message.length > MAX_MESSAGE_LENGTH)
            throw new Error(`message must be at most ${MAX_MESSAGE_LENGTH} characters (got ${message.length})`);
          const rfq = this.rfqs.get(rfqId);
          if (!rfq) throw new Error(`unknown RFQ ${rfqId}; ${this.knownIds('RFQ', [...this.rfqs.keys()])}`);
          if (rfq.cancelled) throw new Error(`RFQ ${rfqId} was cancelled; its operator no longer takes messages`);
        },
      },
    );

    setHandler(
      extendDeadline,
      ({ until }) => {
        this.quoteDeadlineMs = Date.parse(until);
        this.wake = true;
        this.refreshDetails();
        return this.progress();
      },
      {
        validator: ({ until }) => {
          this.assertOpenForDecision();
          const at = Date.parse(until);
          if (Number.isNaN(at)) throw new Error('until must be an ISO-8601 instant');
          if (at <= Date.now()) throw new Error('until must be in the future');
          if (this.quoteDeadlineMs !== undefined && at <= this.quoteDeadlineMs) {
            throw new Error(
              `until must be later than the current deadline ${new Date(this.quoteDeadlineMs).toISOString()}`,
            );
          }
        },
      },
    );

    setHandler(avinodeEvent, (event) => {
      if (this.isTerminal()) return;
      const duplicate = this.pendingEvents.some(
        (pending) => pending.eventType === event.eventType && pending.id === event.id,
      );
      if (duplicate) return;
      // A message id is never reused (an RFQ's id is: re-notifications), so a known message is a redelivery.
      if (this.wakeups && this.knowsMessageOf(event)) return;
      if (this.wakeups && this.takeChat(event)) return;
      this.pendingEvents.push(event);
      tripMetrics.avinodeEvent(event.eventType);
      // Counted when received: a poll may already have read what the event announced, and the run may end before its read.
      if (!this.wakeups) {
        this.eventsBeforeMain++; // the old path counts when processing; main() settles these once it knows the path
        return;
      }
      this.webhooks++;
      this.readDueAtMs ??= this.now() + this.webhookDebounceMs();
    });

    setHandler(credentialsUpdated, () => {
      this.credentialsHint = true;
    });
  }

  // ── main loop ───────────────────────────────────────────────────────────────

  async main(): Promise<TripProgress> {
    if (patched(BUNDLED_PATCHES)) {
      this.bundled = true;
      this.keepsNewestQuoteRead = true;
      this.decisionStage =
        this.handlesDuplicates =
        this.timerDecidesWake =
        this.wakeups =
        this.coalescedVisibility =
          true;
    } else {
      this.decisionStage = patched(DECISION_STAGE);
      this.handlesDuplicates = patched(DUPLICATE_TRIPS);
      this.timerDecidesWake = patched(TIMER_DECIDES_WAKE);
      this.wakeups = patched(WEBHOOK_WAKEUPS);
      this.coalescedVisibility = patched(COALESCED_VISIBILITY);
    }
    if (this.wakeups) this.webhooks += this.eventsBeforeMain;
    // Events carried over, or delivered with the start before the patch was known: one read for them.
    if (this.wakeups && this.pendingEvents.length > 0) this.readDueAtMs = this.now() + this.webhookDebounceMs();
    if (this.coalescedVisibility) this.startVisibilityWriter();
    else if (this.continuedAsNew === 0) this.initialSearchAttributes();
    for (const event of this.carriedCallbacks) this.enqueueCallback(event);
    this.refreshDetails();
    if (!this.trip && !this.isTerminal()) await this.createAvinodeTrip('started');
    while (!this.isTerminal()) {
      if (this.closing) {
        // A selection, cancellation or expiry is being reported to Avinode; its handler ends the run.
        await condition(() => this.isTerminal());
        break;
      }
      if (this.shouldContinueAsNew()) await this.continueAsNew();
      const expired = this.checkDeadlines();
      if (expired === true || (expired !== false && (await expired))) break;
      const wakeAtMs = this.nextWakeAt();
      const waitMs = wakeAtMs - this.now();
      if (waitMs > 0 && this.wakeups) {
        // Only an event that brings the next read forward wakes the loop; later events of a burst ride on it.
        await this.waitForNews(
          () => this.wake || this.isTerminal() || (this.readDueAtMs !== undefined && this.readDueAtMs < wakeAtMs),
          waitMs,
          wakeAtMs,
        );
      } else if (waitMs > 0) {
        await this.waitForNews(() => this.pendingEvents.length > 0 || this.wake || this.isTerminal(), waitMs, wakeAtMs);
      }
      this.wake = false;
      if (this.isTerminal() || this.closing) continue;
      const pollFirst = this.timerDecidesWake && this.now() >= this.nextPollAtMs;
      if (this.wakeups) {
        await this.readWhenDue();
      } else if (this.pendingEvents.length > 0 && !pollFirst) {
        await this.processEvents();
        this.resetPollInterval();
        // Webhooks are hints: an RFQ whose webhook is still on its way would be missed, so the
        // end (or the wait for a selection) is confirmed by one reconciliation poll (the source of
        // truth) before it is declared. Once awaiting a selection, webhooks need no such check.
        if (this.allLiftsAnswered() && this.phase !== 'awaiting_selection' && patched(CONFIRM_END_BY_POLL))
          await this.poll();
      } else if (this.now() >= this.nextPollAtMs) {
        await this.poll();
        this.pollIntervalMs = Math.min(this.pollIntervalMs * 2, this.timing.pollMaxMs);
        this.nextPollAtMs = this.now() + this.pollIntervalMs;
      }
      this.afterAnswers();
    }
    await condition(allHandlersFinished);
    await this.drainCallbacks();
    // The last task's changes (the terminal phase) go out before the run completes.
    this.flushVisibility();
    if (this.failure) throw this.failure;
    return this.progress();
  }

  /**
   * The clock the loop decides by: the activation's, or the time a fired wait timer stood for when
   * that is later (patch TIMER_DECIDES_WAKE). A timer fires at or after its time, so this is never
   * ahead of real time; it differs from Date.now() only in an activation that runs on an earlier
   * task's clock, which is what a worker rebuilding the run for a query hands out.
   */
  private now(): number {
    return Math.max(Date.now(), this.clockFloorMs);
  }

  /**
   * Waits until `news()` holds or `ms` pass. Runs recorded before TIMER_DECIDES_WAKE: exactly
   * `condition(news, ms)`. With it, a fired timer raises the run's clock to `wakeAtMs`, even when the
   * news came in the same activation: a replay hands the timer and a later signal over together (the
   * signal first), where the live run may have seen the timer alone, earlier. The flag is set by the
   * timer's own continuation, one microtask after the fire is applied; the condition resumes this
   * function later than that, after every job of the activation has been applied.
   */
  private async waitForNews(news: () => boolean, ms: number, wakeAtMs: number): Promise<void> {
    if (!this.timerDecidesWake) {
      await condition(news, ms);
      return;
    }
    if (news()) return;
    let fired = false;
    await CancellationScope.cancellable(async () => {
      const timer = sleep(ms).then(
        () => {
          fired = true;
        },
        () => undefined, // cancelled: the news came first
      );
      try {
        await condition(() => fired || news());
      } finally {
        CancellationScope.current().cancel();
      }
      await timer;
    });
    if (fired) this.clockFloorMs = Math.max(this.clockFloorMs, wakeAtMs);
  }

  private nextWakeAt(): number {
    return Math.min(
      this.nextPollAtMs,
      this.readDueAtMs ?? Infinity,
      this.quoteDeadlineMs ?? Infinity,
      this.departureMs ?? Infinity,
    );
  }

  // ── webhooks as wake-ups (patch WEBHOOK_WAKEUPS) ────────────────────────────

  private webhookDebounceMs(): number {
    return this.timing.webhookDebounceMs ?? (this.bundled ? BUNDLED_WEBHOOK_DEBOUNCE_MS : DEFAULT_WEBHOOK_DEBOUNCE_MS);
  }

  /**
   * A chat the receiver read changes no RFQ or quote: the message joins the run at once and wakes no
   * read. Anything else (a seller response, a request) is read with the trip.
   */
  private takeChat(event: AvinodeEvent): boolean {
    const trip = this.trip;
    if (event.eventType !== 'TripChatFromSeller' || !event.message || !trip || this.namesOtherTrip(trip, event))
      return false;
    this.webhooks++;
    tripMetrics.avinodeEvent(event.eventType);
    this.addMessage(event.message);
    this.refreshDetails();
    return true;
  }

  /**
   * One read of the trip when webhooks asked for it or the reconciliation poll is due: the same read
   * serves both, and every event received until it starts rides on it. The poll schedule restarts
   * from it; only a scheduled poll backs the interval off.
   */
  private async readWhenDue(): Promise<void> {
    const now = this.now();
    const asked = this.readDueAtMs !== undefined && now >= this.readDueAtMs;
    const scheduled = now >= this.nextPollAtMs;
    if (!asked && !scheduled) return;
    // With TIMER_DECIDES_WAKE a scheduled poll leaves the events whose read is not due yet for that
    // read: a replay may hand over an event together with the poll's timer that a worker rebuilding
    // the run for a query saw alone, before the event (see waitForNews). Both must read the same.
    const takesEvents = asked || !this.timerDecidesWake;
    const events = takesEvents ? this.pendingEvents.splice(0) : [];
    if (takesEvents) this.readDueAtMs = undefined;
    const trip = this.trip;
    if (trip && events.length > 0) await this.applyEvents(trip, events);
    if (this.isTerminal() || this.closing) return;
    await this.poll(this.unreadMessagesOf(trip, events));
    if (scheduled) this.pollIntervalMs = Math.min(this.pollIntervalMs * 2, this.timing.pollMaxMs);
    this.nextPollAtMs = this.now() + this.pollIntervalMs;
  }

  /**
   * What events carry that a trip read does not: the message the receiver read (a chat's text, a
   * decline's reason), taken before the read so the read asks for no message it already has; and an
   * event naming another trip (a second trip of this run, created by a retried create).
   */
  private async applyEvents(trip: TripCreated, events: AvinodeEvent[]): Promise<void> {
    for (const event of events) {
      if (!this.namesOtherTrip(trip, event)) {
        if (event.message) this.addMessage(event.message);
        continue;
      }
      if (this.handlesDuplicates && event.atripId !== undefined) {
        await this.checkTripOfEvent(trip, {
          atripId: event.atripId,
          ...(event.tripId ? { tripId: event.tripId } : {}),
        });
        if (this.isTerminal() || this.closing || this.trip !== trip) return;
      } else {
        log.info('webhook event belongs to another trip; ignored', { eventType: event.eventType, id: event.id });
      }
    }
  }

  private passedDeadline(): { reason: string; messageToSeller: string } | undefined {
    const now = this.now();
    if (this.quoteDeadlineMs !== undefined && now >= this.quoteDeadlineMs)
      return { reason: 'quote deadline passed', messageToSeller: EXPIRY_MESSAGE };
    if (this.departureMs !== undefined && now >= this.departureMs)
      return { reason: 'departure time passed', messageToSeller: DEPARTURE_MESSAGE };
    return undefined;
  }

  /**
   * Ends the run `expired` when the quote deadline or the departure has passed; true if it did.
   * Runs recorded before the decision stage end synchronously: an await here would reorder their
   * commands against the callback chain, and their histories would no longer replay.
   */
  private checkDeadlines(): boolean | Promise<boolean> {
    const passed = this.passedDeadline();
    if (!passed) return false;
    if (!this.decisionStage) {
      this.end('expired', passed.reason);
      return true;
    }
    return this.expire(passed.reason, passed.messageToSeller).then(() => true);
  }

  /** No selection in time: the trip and its RFQs are cancelled on Avinode unless the run says `onExpiry: keep`. */
  private async expire(reason: string, messageToSeller: string): Promise<void> {
    const trip = this.trip;
    if (!trip) {
      this.end('expired', reason);
      return;
    }
    if (this.request.onExpiry === 'keep') {
      this.end('expired', `${reason}; the Avinode trip stays open (onExpiry: keep)`);
      return;
    }
    this.closing = true;
    const outcome = await this.cancelOnAvinode(trip, { reason: 'OTHER', messageToSeller });
    this.end('expired', `${reason}${outcome}`);
  }

  /** Polls restart frequent after news, except while awaiting a selection, which reconciles at the slowest interval. */
  private resetPollInterval(): void {
    this.pollIntervalMs =
      this.decisionStage && this.phase === 'awaiting_selection' ? this.timing.pollMaxMs : this.timing.pollInitialMs;
    this.nextPollAtMs = this.now() + this.pollIntervalMs;
  }

  private async createAvinodeTrip(reason: string): Promise<void> {
    this.setPhase('creating_trip', reason);
    let created: CreateTripResult | undefined;
    try {
      created = await this.withCredentials(() =>
        this.acts.createActs.createTrip({
          request: tripCriteriaOf(this.request),
          workflowId: this.workflowId,
        }),
      );
    } catch (error) {
      const { type, message } = failureOf(error);
      this.fail(
        `createTrip failed: ${message}`,
        type === FailureType.RequestInvalid ? FailureType.RequestInvalid : FailureType.TripFailed,
      );
      return;
    }
    if (!created) return;
    const { duplicates, unconfirmed, ...trip } = created;
    this.trip = trip;
    if (this.coalescedVisibility) this.visibilityDirty = true;
    else {
      upsertSearchAttributes([
        { key: SearchAttributes.AvinodeTripId, value: trip.tripId },
        { key: SearchAttributes.AvinodeTripRef, value: trip.atripId },
      ]);
    }
    if (this.phase === 'cancelled') {
      // Cancelled while the create was in flight: do not leave a live trip behind on Avinode.
      await this.cancelOnAvinode(trip, { reason: 'BY_CLIENT' });
      return;
    }
    if (this.isTerminal()) return;
    this.emit({ type: 'deep_link_ready', reason });
    this.setPhase('awaiting_rfqs', trip.reused ? 'trip found (created by an earlier attempt)' : 'trip created');
    this.resetPollInterval();
    if (this.handlesDuplicates && (unconfirmed || duplicates?.length))
      await this.afterAmbiguousCreate(duplicates ?? [], unconfirmed === true);
  }

  // ── duplicate trips (patch DUPLICATE_TRIPS) ─────────────────────────────────

  /** A retried create found several trips (the others are cancelled), or could not look (later polls look again). */
  private async afterAmbiguousCreate(duplicates: DuplicateTrip[], unconfirmed: boolean): Promise<void> {
    if (unconfirmed) this.duplicateLookupsLeft = DUPLICATE_LOOKUPS_AFTER_UNCONFIRMED_CREATE;
    if (duplicates.length > 0) await this.cancelDuplicates(duplicates, 'create_lookup');
  }

  /** After an unconfirmed create, each poll asks the lookup again until it answers (a few times at most). */
  private async lookForDuplicates(trip: TripCreated): Promise<void> {
    this.duplicateLookupsLeft--;
    let found;
    try {
      found = await this.acts.duplicateActs.findDuplicateTrips({
        workflowId: this.workflowId,
        keepAtripId: trip.atripId,
      });
    } catch (error) {
      log.warn('duplicate-trip lookup failed', {
        message: failureOf(error).message,
        lookupsLeft: this.duplicateLookupsLeft,
      });
      return;
    }
    if (found.lookup === 'answered') this.duplicateLookupsLeft = 0;
    if (this.isTerminal() || this.closing || this.trip !== trip) return;
    await this.cancelDuplicates(found.duplicates, 'lookup');
  }

  /** An event named another trip: a second trip of this run if it is live and carries our externalTripId. */
  private async checkTripOfEvent(trip: TripCreated, other: DuplicateTrip): Promise<void> {
    if (this.duplicateTrips.some((known) => known.atripId === other.atripId && known.status !== 'failed')) return;
    let found;
    try {
      found = await this.acts.duplicateActs.findDuplicateTrips({
        workflowId: this.workflowId,
        keepAtripId: trip.atripId,
        candidate: other,
        lookup: false,
      });
    } catch (error) {
      log.warn('the trip a webhook event named could not be read', {
        atripId: other.atripId,
        message: failureOf(error).message,
      });
      return;
    }
    if (this.isTerminal() || this.closing || this.trip !== trip) return;
    if (found.duplicates.length === 0)
      log.info('webhook event belongs to another trip; ignored', { atripId: other.atripId });
    await this.cancelDuplicates(found.duplicates, 'webhook');
  }

  /** Cancels (reason OTHER) each live trip other than the run's own and records it; the run continues on its trip. */
  private async cancelDuplicates(
    found: DuplicateTrip[],
    discoveredBy: DuplicateTripRecord['discoveredBy'],
  ): Promise<void> {
    const own = this.trip?.atripId;
    const fresh = found.filter(
      (duplicate) =>
        duplicate.atripId !== own &&
        !this.duplicateTrips.some((known) => known.atripId === duplicate.atripId && known.status !== 'failed'),
    );
    for (const duplicate of fresh) {
      const record: DuplicateTripRecord = {
        ...duplicate,
        discoveredBy,
        discoveredAt: new Date().toISOString(),
        status: 'cancelled',
      };
      try {
        const { status } = await this.acts.cancelActs.cancelAvinodeTrip({
          atripId: duplicate.atripId,
          reason: 'OTHER',
          messageToSeller: DUPLICATE_MESSAGE,
          ...this.actingAs(),
        });
        if (status === 'vanished') record.status = 'vanished';
      } catch (error) {
        record.status = 'failed';
        record.error = failureOf(error).message;
      }
      this.duplicateTrips = [...this.duplicateTrips.filter((known) => known.atripId !== duplicate.atripId), record];
      log.warn('a second Avinode trip carried this run’s externalTripId', {
        atripId: duplicate.atripId,
        discoveredBy,
        status: record.status,
      });
    }
    if (fresh.length > 0) this.refreshDetails();
  }

  /** `messageIds`: messages events named without bringing them (a routing run still in flight): read with the trip. */
  private async poll(messageIds: string[] = []): Promise<void> {
    const trip = this.trip;
    if (!trip) return;
    const knownQuotes = [...this.quotes.values()]
      .filter((quote) => !quote.vanishedAt)
      .map(({ quoteId, price, currency }) => ({ quoteId, price, currency }));
    const declinesWithoutReason = this.decisionStage
      ? this.declines.filter((decline) => !decline.declineReason).map(({ rfqId, liftId }) => ({ rfqId, liftId }))
      : [];
    const input = {
      atripId: trip.atripId,
      tripId: trip.tripId,
      knownQuotes,
      ...(declinesWithoutReason.length > 0 ? { declinesWithoutReason, readMessageIds: [...this.readMessageIds] } : {}),
      ...(this.request.outputCurrencies?.length ? { outputCurrencies: this.request.outputCurrencies } : {}),
      ...(messageIds.length > 0 ? { messageIds } : {}),
    };
    let state;
    try {
      state = await this.withCredentials(() => this.acts.pollActs.readTripState(input));
    } catch (error) {
      const { type, message } = failureOf(error);
      if (type === FailureType.TripVanished) {
        await this.tripVanished(trip, message);
        return;
      }
      log.warn('reconciliation poll failed; the next poll retries', { failureType: type, message });
      return;
    } finally {
      this.polls++;
      this.lastPollAt = new Date().toISOString();
    }
    if (!state || this.isTerminal() || this.trip !== trip) return;
    for (const rfq of state.rfqs) this.mergeRfq(rfq);
    for (const quote of state.quotes) this.mergeQuote(quote);
    for (const message of state.messages ?? []) this.addMessage(message);
    this.afterChange();
    if (this.handlesDuplicates && this.duplicateLookupsLeft > 0) await this.lookForDuplicates(trip);
  }

  private async processEvents(): Promise<void> {
    while (this.pendingEvents.length > 0 && !this.isTerminal()) {
      const event = this.pendingEvents.shift()!;
      this.webhooks++;
      const trip = this.trip;
      let resolution;
      try {
        const currencies = this.request.outputCurrencies;
        resolution = await this.withCredentials(() =>
          currencies?.length
            ? this.acts.eventActs.resolveAvinodeEvent(event, { outputCurrencies: currencies })
            : this.acts.eventActs.resolveAvinodeEvent(event),
        );
      } catch (error) {
        const { type, message } = failureOf(error);
        log.warn('webhook event could not be resolved; the poll will reconcile', {
          eventType: event.eventType,
          id: event.id,
          failureType: type,
          message,
        });
        continue;
      }
      if (!resolution || this.isTerminal() || !trip || this.trip !== trip) continue;
      if (resolution.unresolved) {
        log.info('webhook event names nothing readable', {
          eventType: event.eventType,
          id: event.id,
          reason: resolution.unresolved,
        });
        continue;
      }
      const foreign =
        (resolution.atripId !== undefined && resolution.atripId !== trip.atripId) ||
        (resolution.atripId === undefined && resolution.tripId !== undefined && resolution.tripId !== trip.tripId);
      if (foreign) {
        if (this.handlesDuplicates && resolution.atripId !== undefined) {
          await this.checkTripOfEvent(trip, {
            atripId: resolution.atripId,
            ...(resolution.tripId ? { tripId: resolution.tripId } : {}),
          });
        } else {
          log.info('webhook event belongs to another trip; ignored', { eventType: event.eventType, id: event.id });
        }
        continue;
      }
      if (resolution.rfq) this.mergeRfq(resolution.rfq);
      for (const quote of resolution.quotes) this.mergeQuote(quote);
      if (resolution.message) this.addMessage(resolution.message);
      this.afterChange();
    }
  }

  /** A trip that existed answers NOT_FOUND: the weekly sandbox rebuild. The run's policy decides. */
  private async tripVanished(trip: TripCreated, detail: string): Promise<void> {
    // A decision is being reported for this trip: its handler records what Avinode answers.
    if (this.closing) return;
    const what = `Avinode trip ${trip.tripId} (${trip.atripId}) no longer exists (${detail}); the sandbox was probably reset`;
    if (this.request.onReset === 'fail') {
      this.fail(`${what}; onReset policy is "fail"`, FailureType.TripVanished);
      return;
    }
    this.forgetVanishedTrip(new Date().toISOString());
    this.updateQuoteCount();
    await this.createAvinodeTrip(`${what}; recreating (reset ${this.resets})`);
  }

  // ── credentials ─────────────────────────────────────────────────────────────

  /** Runs an Avinode activity; rejected credentials park the run in `blocked` until they work. undefined = the run ended meanwhile. */
  private async withCredentials<T>(call: () => Promise<T>): Promise<T | undefined> {
    for (;;) {
      try {
        return await call();
      } catch (error) {
        const { type, message } = failureOf(error);
        if (!type || !CREDENTIAL_FAILURES.has(type) || this.isTerminal()) throw error;
        if (!(await this.waitForCredentials(message))) return undefined;
      }
    }
  }

  private async waitForCredentials(reason: string): Promise<boolean> {
    const resumePhase = this.phase;
    this.blockedReason = withResetWindowNote(reason, Date.now());
    this.setPhase('blocked', reason);
    for (;;) {
      this.credentialsHint = false;
      // A decision being reported (closing) is not cut short by the deadline: it was taken in time.
      const deadlines = this.closing
        ? Infinity
        : Math.min(this.quoteDeadlineMs ?? Infinity, this.departureMs ?? Infinity);
      const until = Math.min(this.now() + this.timing.credentialRecheckMs, deadlines);
      await this.waitForNews(
        () => this.credentialsHint || this.isTerminal() || this.wake,
        Math.max(1, until - this.now()),
        until,
      );
      this.wake = false;
      if (this.isTerminal()) return false;
      if (!this.closing) {
        const expired = this.checkDeadlines();
        if (expired === true || (expired !== false && (await expired))) return false;
      }
      if (!this.credentialsHint && this.now() < until) continue;
      let check: CredentialCheck;
      try {
        check = await this.acts.credentialActs.checkCredentials(this.trip ? { atripId: this.trip.atripId } : {});
      } catch (error) {
        check = { ok: false, explanation: `credential check failed: ${failureOf(error).message}` };
      }
      if (this.isTerminal()) return false;
      if (check.ok) break;
      this.blockedReason = withResetWindowNote(check.explanation, Date.now());
      this.refreshDetails();
    }
    this.blockedReason = undefined;
    this.setPhase(resumePhase, 'credentials accepted again');
    return true;
  }

  // ── state merging (the rules: trip-state.ts; here what they changed is acted on and announced) ──

  private mergeRfq(incoming: RfqSnapshot): void {
    const { rfqsWentOut, explained } = this.recordRfq(incoming, new Date().toISOString());
    this.announceDeclines(explained);
    if (rfqsWentOut) {
      this.setPhase('collecting_quotes', 'RFQs sent to operators');
      this.resetPollInterval();
    }
  }

  private mergeQuote(incoming: QuoteSnapshot): void {
    const change = this.recordQuote(incoming, new Date().toISOString());
    if (!change) return;
    tripMetrics.quoteReceived(change);
    this.emit(
      change === 'new'
        ? { type: 'quote_received', quote: incoming }
        : { type: 'quote_received', quote: incoming, reason: 're-priced' },
    );
  }

  private addMessage(message: TripMessageSnapshot): void {
    const { chat, explained } = this.recordMessage(message);
    if (chat) this.emit({ type: 'message_received', message: chat });
    this.announceDeclines(explained);
  }

  private announceDeclines(declines: DeclineRecord[]): void {
    for (const decline of declines) this.emit({ type: 'quote_declined', decline: { ...decline } });
  }

  /** Every lift answered: the run moves on as the answers call for (trip-state.ts answersCallFor). */
  private afterAnswers(): void {
    if (this.isTerminal() || this.closing) return;
    const step = this.answersCallFor();
    if (!step) return;
    if ('end' in step) {
      this.end(step.end, step.reason);
      return;
    }
    this.setPhase(step.phase, step.reason);
    this.resetPollInterval();
  }

  // ── decisions ───────────────────────────────────────────────────────────────

  /** Decisions are taken in every open phase, one at a time. */
  private assertOpenForDecision(): void {
    if (this.isTerminal()) throw new Error(`the run has already ended (${this.phase})`);
    if (this.closing) throw new Error('a selection, cancellation or expiry is already being reported to Avinode');
  }

  private knownIds(kind: string, ids: string[]): string {
    return ids.length > 0 ? `the run knows ${kind}s ${ids.join(', ')}` : `the run knows no ${kind} yet`;
  }

  private actingAs(): { actAsAccount?: string } {
    return this.request.actAsAccount ? { actAsAccount: this.request.actAsAccount } : {};
  }

  /** The broker's choice: reported to Avinode (CONVERTED, the winning lift), other RFQs closed on request, then `completed`. */
  private async select(quote: QuoteRecord, closeOtherRequests: boolean): Promise<void> {
    this.closing = true;
    this.wake = true;
    this.selectedQuoteId = quote.quoteId;
    this.refreshDetails();
    const trip = this.trip!;
    const winningSellerLiftId = this.winningLiftIdOf(quote)!;
    const report: OutcomeReport = {
      outcome: 'CONVERTED',
      quoteId: quote.quoteId,
      winningSellerLiftId,
      status: 'reported',
      at: '',
    };
    const send = () =>
      this.acts.outcomeActs.reportTripOutcome({
        atripId: trip.atripId,
        outcome: 'CONVERTED',
        winningSellerLiftId,
        ...this.actingAs(),
      });
    try {
      try {
        await send();
      } catch (error) {
        // Rejected credentials (a token revoked twice in a row, a rotation): wait until they work, as
        // every other Avinode call of the run does, and report once more; anything else stands as failed.
        const { type, message } = failureOf(error);
        if (!type || !CREDENTIAL_FAILURES.has(type) || !(await this.waitForCredentials(message))) throw error;
        await send();
      }
    } catch (error) {
      report.status = 'failed';
      report.error = failureOf(error).message;
      log.warn('outcome report failed; the selection stands', { quoteId: quote.quoteId, message: report.error });
    }
    report.at = new Date().toISOString();
    this.outcomeReport = report;
    if (closeOtherRequests) this.closedRequests = await this.closeOtherRequests(quote);
    this.emit({ type: 'quote_selected', quote, outcomeReport: report });
    const reported =
      report.status === 'reported'
        ? 'outcome CONVERTED reported to Avinode'
        : `reporting the outcome to Avinode failed: ${report.error}`;
    const closed = this.closedRequests
      ? `; ${this.closedRequests.filter((request) => request.status === 'cancelled').length}/${this.closedRequests.length} other RFQs cancelled`
      : '';
    this.end(
      'completed',
      `quote ${quote.quoteId} selected (${quote.operator}, ${quote.price} ${quote.currency}); ${reported}${closed}`,
    );
  }

  private async closeOtherRequests(winner: QuoteRecord): Promise<ClosedRequest[]> {
    return Promise.all(
      this.otherOpenRfqs(winner).map(async (rfq): Promise<ClosedRequest> => {
        try {
          await this.acts.rfqCancelActs.cancelRfq({
            rfqId: rfq.rfqId,
            reason: 'BOOKED',
            messageToSeller: CLOSE_OTHERS_MESSAGE,
            ...this.actingAs(),
          });
          return { rfqId: rfq.rfqId, operator: rfq.operator, status: 'cancelled' };
        } catch (error) {
          return { rfqId: rfq.rfqId, operator: rfq.operator, status: 'failed', error: failureOf(error).message };
        }
      }),
    );
  }

  // ── phases, visibility, callbacks ───────────────────────────────────────────

  private setPhase(phase: TripPhase, reason?: string): void {
    if (this.isTerminal() && !TERMINAL_PHASES.includes(phase)) return;
    if (this.enterPhase(phase, new Date().toISOString(), reason)) {
      if (!this.coalescedVisibility) upsertSearchAttributes([{ key: SearchAttributes.TripPhase, value: phase }]);
      tripMetrics.phaseEntered(phase);
      this.emit({ type: 'phase_changed', ...(reason ? { reason } : {}) });
    }
    this.refreshDetails();
  }

  private end(phase: TripPhase, reason: string): void {
    if (this.isTerminal()) return;
    this.endReason = reason;
    this.setPhase(phase, reason);
  }

  private fail(message: string, type: string): void {
    if (this.isTerminal()) return;
    this.failure = failures.final(type, message);
    this.end('failed', message);
  }

  private async cancelOnAvinode(
    trip: TripCreated,
    cancel: { reason: (typeof CANCEL_REASONS)[number]; messageToSeller?: string },
  ): Promise<string> {
    try {
      const { status } = await this.acts.cancelActs.cancelAvinodeTrip({
        atripId: trip.atripId,
        ...cancel,
        ...(this.decisionStage ? this.actingAs() : {}),
      });
      return status === 'vanished' ? '; the Avinode trip no longer existed' : '; cancelled on Avinode';
    } catch (error) {
      return `; cancelling on Avinode failed: ${failureOf(error).message}`;
    }
  }

  private afterChange(): void {
    this.updateQuoteCount();
    this.refreshDetails();
  }

  private updateQuoteCount(): void {
    if (this.coalescedVisibility) {
      this.visibilityDirty = true;
      return;
    }
    const count = this.liveQuotes().length;
    if (count === this.lastQuoteCount) return;
    this.lastQuoteCount = count;
    upsertSearchAttributes([{ key: SearchAttributes.QuoteCount, value: count }]);
  }

  private initialSearchAttributes(): void {
    const departure = nominalDeparture(this.request);
    upsertSearchAttributes([
      { key: SearchAttributes.TripPhase, value: this.phase },
      { key: SearchAttributes.Route, value: routeOf(this.request.legs) },
      ...(departure ? [{ key: SearchAttributes.DepartureDate, value: departure }] : []),
    ]);
    this.updateQuoteCount();
  }

  private refreshDetails(): void {
    if (this.coalescedVisibility) this.visibilityDirty = true;
    else setCurrentDetails(renderDetails(this.progress()));
  }

  /**
   * Coalesced visibility (patch COALESCED_VISIBILITY): state changes only mark the run dirty, and
   * this writer flushes once the workflow task has nothing left to run, i.e. just before the run
   * blocks (a condition, an activity, a timer). Conditions are evaluated only after the task's
   * microtasks have settled, so several changes in one task make one upsert and one details render.
   * A phase entered and left within one task (transient: `awaiting_rfqs` when the create's task
   * already sees RFQs, `collecting_quotes` when the first read answers every lift) is never written;
   * a phase the run waits in (blocked, creating_trip while a re-create is in flight) always is.
   * The first flush writes only what the start did not set (nothing, when the client started it).
   */
  private startVisibilityWriter(): void {
    this.visibilityDirty = true;
    void CancellationScope.nonCancellable(async () => {
      for (;;) {
        await condition(() => this.visibilityDirty);
        this.flushVisibility();
      }
    });
  }

  /** One upsert of the search attributes whose value differs from what the server holds, and the details, if anything changed. */
  private flushVisibility(): void {
    if (!this.coalescedVisibility || !this.visibilityDirty) return;
    this.visibilityDirty = false;
    const changes = this.searchAttributeChanges();
    if (changes.length > 0) upsertSearchAttributes(changes);
    setCurrentDetails(renderDetails(this.progress()));
  }

  /** Wanted values against workflowInfo's (the start's, the carried run's, then every upsert). */
  private searchAttributeChanges(): SearchAttributePair[] {
    const held = workflowInfo().typedSearchAttributes;
    const changes: SearchAttributePair[] = [];
    const keyword = (key: (typeof SearchAttributes)['TripPhase'], value: string) => {
      if (held.get(key) !== value) changes.push({ key, value });
    };
    keyword(SearchAttributes.TripPhase, this.phase);
    keyword(SearchAttributes.Route, routeOf(this.request.legs));
    if (this.trip) {
      keyword(SearchAttributes.AvinodeTripId, this.trip.tripId);
      keyword(SearchAttributes.AvinodeTripRef, this.trip.atripId);
    }
    const quotes = this.liveQuotes().length;
    if (held.get(SearchAttributes.QuoteCount) !== quotes)
      changes.push({ key: SearchAttributes.QuoteCount, value: quotes });
    const departure = nominalDeparture(this.request);
    if (departure && held.get(SearchAttributes.DepartureDate)?.getTime() !== departure.getTime())
      changes.push({ key: SearchAttributes.DepartureDate, value: departure });
    return changes;
  }

  private emit(event: CallbackNotice): void {
    const full = this.callbackEvent(event, new Date().toISOString());
    if (full) this.enqueueCallback(full);
  }

  /** Delivered in order, in the background: the main loop never waits on a slow receiver. */
  private enqueueCallback(event: CallbackEvent): void {
    const url = this.request.callbackUrl;
    if (!url) return;
    this.queueCallback(event);
    this.callbackChain = this.callbackChain
      .then(() => this.acts.callbackActs.deliverCallback({ url, event }))
      .then(
        () => undefined,
        (error: unknown) =>
          log.warn('callback undeliverable; dropped', { eventId: event.eventId, message: failureOf(error).message }),
      )
      .finally(() => this.callbackSettled(event));
  }

  /** Waits for the callback queue to empty; with a bound, what is left is carried to the next run. */
  private async drainCallbacks(boundMs?: number): Promise<void> {
    if (this.callbackQueue.length === 0) return;
    if (boundMs === undefined) await condition(() => this.callbackQueue.length === 0);
    else await condition(() => this.callbackQueue.length === 0, boundMs);
  }

  private shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    // Trips idle for days in awaiting_selection: runs with the decision stage continue as new at a
    // default threshold unless the request sets one (0 = only when the server suggests it).
    const asked = this.request.timing?.continueAsNewAfterEvents;
    const threshold =
      asked ?? (this.decisionStage ? DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS : this.timing.continueAsNewAfterEvents);
    return info.continueAsNewSuggested || (threshold > 0 && info.historyLength >= threshold);
  }

  private async continueAsNew(): Promise<void> {
    await condition(allHandlersFinished);
    // A receiver that is down must not hold the loop: undelivered events move to the next run.
    await this.drainCallbacks(this.timing.callbackDrainMs ?? CALLBACK_DRAIN_BEFORE_CONTINUE_MS);
    if (this.isTerminal()) return;
    // The next run starts from the current search attributes (copied by the server).
    this.flushVisibility();
    await continueAsNew<typeof charterTripWorkflow>({ ...this.request, carried: this.carry() });
  }
}
