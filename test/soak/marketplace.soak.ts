// `npm run soak`: sustained load under sustained faults, then the broker's invariants checked from
// the emulator's ground truth and the server's records. Never part of `npm test`.
//   SOAK_PROFILE=dev|cluster  the dev server with its SQLite file (default), or the PostgreSQL cluster
//   SOAK_TRIPS=200            trips, one arriving every SOAK_ARRIVAL_MS (default 1500)
//   SOAK_SEED=…               seed of the emulator's faults and autopilot
// While trips run through autopilot operators (three RFQs each, chats and declines; the driver
// re-prices one quote per run and selects the cheapest live quote, as a broker would):
//   - the two worker processes are SIGKILLed alternately every 10 s and restarted;
//   - the Temporal server process is restarted once (at 30 % of the arrivals);
//   - the emulator answers 10 % 5xx and 2 % 429 with Retry-After, revokes every token every 60 s,
//     drops, duplicates and delays (reorders) webhooks, and wipes the sandbox once (at 60 %).
// The results table goes to stdout and `.bench/soak.json` (per profile).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAvinodeTokenSource } from '../../activities/auth/index.ts';
import { createAvinodeClient } from '../../activities/avinode/client.ts';
import { DEFAULT_AUTOPILOT, type FaultRule } from '../../emulator/index.ts';
import { startCharterflowFleet, type CharterflowFleet, type ManagedProcess } from '../../workers/cluster/processes.ts';
import { workflowIdFor, type TripProgress, type TripRequest } from '../../workflows/contract.ts';
import { percentile, runPaced } from '../bench/support.ts';
import { oneWayRequest, startStack, type Stack } from '../integration/stack/harness.ts';
import { SOAK_PROFILES, startSoakTemporal, type SoakProfile, type SoakTemporal } from './profiles.ts';
import { AWAITING_SELECTION, cheapestLiveQuote, isTerminal, liveQuotes } from './settle.ts';

const intFromEnv = (name: string, fallback: number) => {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${name}: expected a positive integer`);
  return parsed;
};
const PROFILE = (process.env.SOAK_PROFILE ?? 'dev') as SoakProfile;
if (!SOAK_PROFILES.includes(PROFILE)) throw new Error(`SOAK_PROFILE: expected one of ${SOAK_PROFILES.join(', ')}`);
const TRIPS = intFromEnv('SOAK_TRIPS', 200);
const ARRIVAL_MS = intFromEnv('SOAK_ARRIVAL_MS', 1_500);
const SEED = intFromEnv('SOAK_SEED', 20_261_201);
const OPERATORS = 3;
const KILL_EVERY_MS = 10_000;
const REVOKE_EVERY_MS = 60_000;
/**
 * Changes on Avinode this close to a run's end may legitimately miss it: the run ends (selection,
 * or every lift answered) before the next poll (pollMaxMs 5 s) or a delayed webhook brings them.
 * They are counted as "late", not asserted; anything older must be in the run.
 */
const LATE_MS = 7_000;
/** Past a killed worker's heartbeat timeout (20 s) plus retried polls: a run that ends by itself has ended. */
const SETTLED_AFTER_MS = 45_000;
/** Bounds a broken soak only: arrivals plus ten minutes to drain. */
const DRAIN_MS = 600_000;
const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.bench', 'soak.json');
/** Where a failing soak leaves what a diagnosis needs. */
const EVIDENCE = join(dirname(RESULTS), 'soak-evidence');

// Evaluated in order, one reply fault per call at most: 5 % 503 + 5.27 % of the rest 500 = 10 % 5xx,
// then 2.23 % of the remaining 90 % = 2 % 429 with Retry-After.
const FAULTS: FaultRule[] = [
  { kind: '503', probability: 0.05, retryAfterSeconds: 1 },
  { kind: '500', probability: 0.0527 },
  { kind: '429', probability: 0.0223, retryAfterSeconds: 1 },
  { kind: 'drop_webhooks', probability: 0.1 },
  { kind: 'duplicate_webhooks', probability: 0.1 },
  { kind: 'delay_webhooks', probability: 0.1, latencyMs: 1_500 },
];

interface Run {
  request: TripRequest;
  deepLinkMs?: number;
  startAttempts: number;
  closed: boolean;
  /** The driver's re-price of the cheapest quote, waited for before selecting. */
  repriced?: { quoteId: string; from: number; to: number };
  selected?: string;
  cancelled?: boolean;
  /** When the driver first saw every lift answered while the run was not waiting for a decision. */
  allAnsweredSince?: number;
}

const { WorkflowTaskFailedCause } = proto.temporal.api.enums.v1;
const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

let temporal: SoakTemporal;
let stack: Stack;
let fleet: CharterflowFleet;
const processOutput: string[] = [];

beforeAll(async () => {
  temporal = await startSoakTemporal(PROFILE);
  stack = await startStack({
    worker: false,
    temporalAddress: temporal.address,
    temporalNamespace: temporal.namespace,
    emulator: {
      // Each quoting operator re-prices once, 400 ms after its quote: mostly while the run still collects.
      autopilot: {
        ...DEFAULT_AUTOPILOT,
        enabled: true,
        operators: OPERATORS,
        sendRfqsAfterMs: 300,
        quoteAfterMs: 1_000,
        repriceAfterMs: 400,
        declineRatio: 0.25,
        chatRatio: 0.3,
      },
      seed: SEED,
      tokenRequestsPerMinute: 100_000,
      journalSize: 100,
    },
  });
  const { WEBHOOK_PUBLIC_URL: _inProcessReceiver, ...env } = stack.env;
  fleet = await startCharterflowFleet({
    env: { ...process.env, ...env },
    workers: 2,
    metrics: true,
    onOutput: (_name, line) => processOutput.push(line),
  });
});
afterAll(async () => {
  await fleet?.stop();
  await stack?.close();
  await temporal?.stop();
});

/** SIGKILL and start again; while the server restarts a worker cannot connect, so it is retried. */
async function restartWorker(worker: ManagedProcess): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await worker.restart();
      return;
    } catch (error) {
      if (attempt >= 30) throw error;
      await sleep(1_000);
    }
  }
}

async function startWithRetry(run: Run): Promise<void> {
  const started = performance.now();
  const deadline = Date.now() + 180_000;
  for (;;) {
    run.startAttempts += 1;
    try {
      await stack.charter.startTrip(run.request);
      run.deepLinkMs = performance.now() - started;
      return;
    } catch (error) {
      // The server restarting: starting again returns the same run (workflow id = business key).
      if (Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

/** The broker's side: re-price the cheapest quote once, wait until the run shows it, select it. */
async function decide(run: Run): Promise<void> {
  const progress = await stack.charter.getProgress(run.request.externalId);
  if (isTerminal(progress)) return;
  const allAnswered = progress.counts.lifts > 0 && progress.counts.answered >= progress.counts.lifts;
  const awaiting = (progress.phase as string) === AWAITING_SELECTION;
  if (!awaiting) {
    // A run that ends by itself once every lift is answered first confirms it with a poll: deciding
    // in that moment would cut the confirmation short. Decide only for a run that stays there.
    if (!allAnswered) return;
    run.allAnsweredSince ??= Date.now();
    if (Date.now() - run.allAnsweredSince < SETTLED_AFTER_MS) return;
  }
  const cheapest = cheapestLiveQuote(progress);
  if (!cheapest) {
    if (allAnswered && !run.cancelled) {
      const after = await stack.charter.cancelTrip(run.request.externalId, { reason: 'BY_CLIENT' });
      // A run that ended by itself in the meantime answers with its completed state.
      run.cancelled = after.phase !== 'completed';
    }
    return;
  }
  // Re-price only while the run waits for the broker: a run that ends by itself once every lift is
  // answered (endWhenAllAnswered, or before issue 9) could end before the new price reaches it.
  if (!run.repriced && cheapest.rfqId && (progress.phase as string) === AWAITING_SELECTION) {
    const to = Math.max(1_000, cheapest.price - 750);
    await stack.emulator.admin.respond(cheapest.rfqId, { action: 'reprice', price: to });
    run.repriced = { quoteId: cheapest.quoteId, from: cheapest.price, to };
    return;
  }
  const shown = progress.quotes.find((quote) => quote.quoteId === run.repriced?.quoteId);
  if (run.repriced && shown?.price !== run.repriced.to && !shown?.vanishedAt) return; // not merged yet
  if (!run.selected) {
    await stack.charter.selectQuote(run.request.externalId, cheapest.quoteId);
    run.selected = cheapest.quoteId;
  }
}

async function listIds(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const execution of stack.client.workflow.list({ query })) ids.push(execution.workflowId);
  return ids;
}

/** What the per-run checks add up to. */
interface Tally {
  violations: string[];
  workflowTaskFailures: Record<string, number>;
  nonDeterminism: number;
  secretsInHistories: number;
  timeToTerminal: number[];
  completed: number;
  cancelled: number;
  quotesRecorded: number;
  /** Live quotes whose price changed on Avinode and that the run holds at the new price. */
  repricesReflected: number;
  /** Runs that ended before the sandbox reset and were checked just before it. */
  checkedBeforeReset: number;
  /** Runs that ended in the moment before the reset: their trip was wiped before it could be checked. */
  wipedBeforeCheck: number;
  /** Quotes created or re-priced on Avinode within LATE_MS of their run's end. */
  lateChanges: number;
  /** Outcome reports Avinode answered NOT_FOUND after the sandbox reset wiped the trip (expected, see checkRun). */
  outcomeReportsOnWipedTrips: number;
}

type Avinode = ReturnType<typeof createAvinodeClient>;

/** Avinode reads for the checks, retried: faults may be on while runs are checked before the reset. */
async function withRetry<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      const status = (error as { type?: string }).type;
      if (attempt >= 10 || status === 'AvinodeNotFound') throw error;
      await sleep(300);
    }
  }
}

/** Checks one ended run against Avinode (its live trip, quotes, prices, declines) and its history. */
async function checkRun(
  run: Run,
  avinode: Avinode,
  tripsCreated: Record<string, number>,
  secrets: string[],
  tally: Tally,
  options: { resetAt?: number },
): Promise<void> {
  const { externalId } = run.request;
  const workflowId = workflowIdFor(externalId);
  const handle = stack.client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  if (description.status.name === 'RUNNING') {
    tally.violations.push(`${externalId}: still running when the soak ended`);
    return;
  }
  const closedAt = (description.closeTime ?? new Date()).getTime();
  tally.timeToTerminal.push(closedAt - description.startTime.getTime());
  const late = (iso: string | undefined) => iso !== undefined && Date.parse(iso) > closedAt - LATE_MS;
  const progress: TripProgress = await stack.charter.getProgress(externalId);
  const live = liveQuotes(progress);
  tally.quotesRecorded += progress.quotes.length;
  if (progress.phase === 'completed') tally.completed += 1;
  else if (progress.phase === 'cancelled') tally.cancelled += 1;
  // Right terminal phase: the broker's action decides it (a cancelled run nobody quoted is cancelled,
  // a selection or a run that ended by itself once every lift was answered is completed).
  const expected = run.cancelled ? 'cancelled' : 'completed';
  if (progress.phase !== expected)
    tally.violations.push(
      `${externalId}: phase ${progress.phase} (${progress.endReason ?? 'no end reason'}), expected ${expected}`,
    );
  if (run.selected && progress.selectedQuoteId !== undefined && progress.selectedQuoteId !== run.selected)
    tally.violations.push(`${externalId}: selected ${progress.selectedQuoteId}, the driver chose ${run.selected}`);
  if (new Set(progress.quotes.map((q) => q.quoteId)).size !== progress.quotes.length)
    tally.violations.push(`${externalId}: a quote recorded twice`);
  // With the decision stage, a selection is reported to Avinode (outcome CONVERTED); it must not have
  // failed. One failure is expected, not a violation: a report attempted after the sandbox reset, which
  // Avinode answers NOT_FOUND because the wipe took the trip. There is nothing left to report on, the run
  // records the failure and the selection stands (the documented behaviour). Any other failure, or a
  // NOT_FOUND before the reset, is a violation.
  const outcome = (progress as { outcomeReport?: { status?: string; error?: string; at?: string } }).outcomeReport;
  const reportedOnWipedTrip =
    outcome?.status === 'failed' &&
    options.resetAt !== undefined &&
    /\b404\b|NOT_FOUND/.test(outcome.error ?? '') &&
    outcome.at !== undefined &&
    Date.parse(outcome.at) >= options.resetAt;
  if (reportedOnWipedTrip) tally.outcomeReportsOnWipedTrips += 1;
  else if (outcome?.status === 'failed')
    tally.violations.push(`${externalId}: outcome report failed: ${outcome.error ?? 'no error given'}`);
  const created = tripsCreated[workflowId] ?? 0;
  if (created !== 1 + progress.resets)
    tally.violations.push(`${externalId}: ${created} trips created for ${progress.resets} resets`);
  if (run.repriced) {
    const quote = progress.quotes.find((q) => q.quoteId === run.repriced!.quoteId);
    if (quote && !quote.vanishedAt) {
      if (quote.price !== run.repriced.to || !quote.priceHistory.some((old) => old.price === run.repriced!.from))
        tally.violations.push(
          `${externalId}: re-price of ${quote.quoteId} to ${run.repriced.to} not reflected (${quote.price})`,
        );
    }
  }

  // Exactly one live Avinode trip; what Avinode holds for it is what the run holds, at Avinode's prices.
  const trips = await withRetry(() => avinode.findTripsByExternalId(workflowId));
  // The wipe deleted the trip of a run that ended before it could notice: it ended within a poll
  // interval of the wipe, or (on a backlogged machine) its last read of Avinode came before the wipe.
  // Or the wipe came while the broker's selection was being reported: a run reporting a decision does not
  // recreate its trip (the quotes chosen from are gone), so the report's NOT_FOUND is the run's last word.
  const lastRead = progress.lastPollAt ? Date.parse(progress.lastPollAt) : 0;
  const tripMayBeWiped =
    options.resetAt !== undefined &&
    (closedAt <= options.resetAt + LATE_MS || lastRead < options.resetAt + LATE_MS || reportedOnWipedTrip);
  if (trips.length === 0 && tripMayBeWiped) {
    tally.wipedBeforeCheck += 1;
  } else if (trips.length !== 1) {
    tally.violations.push(`${externalId}: ${trips.length} live Avinode trips`);
  } else if (progress.phase === 'completed' && progress.tripId) {
    const { rfqs } = await withRetry(() =>
      avinode.readTripRfqs({ tripId: progress.tripId!, ...(progress.atripId ? { atripId: progress.atripId } : {}) }),
    );
    const truth = new Set(rfqs.flatMap((rfq) => rfq.lifts.flatMap((lift) => lift.quoteIds)));
    const held = new Set(live.map((q) => q.quoteId));
    const lost = [...truth].filter((id) => !held.has(id));
    const extra = [...held].filter((id) => !truth.has(id));
    const reallyLost: string[] = [];
    for (const id of lost) {
      const { quote } = await withRetry(() => avinode.readQuote(id));
      if (late(quote.createdOn)) tally.lateChanges += 1;
      else reallyLost.push(id);
    }
    if (reallyLost.length > 0 || extra.length > 0) {
      // What the run knew of the lifts those quotes belong to, for the diagnosis.
      const lifts = progress.rfqs
        .flatMap((rfq) => rfq.lifts)
        .filter((lift) => reallyLost.some((id) => lift.quoteIds.includes(id)));
      const known =
        lifts.map((lift) => `${lift.liftId} ${lift.status} [${lift.quoteIds.join(',')}]`).join('; ') ||
        'no lift of the run lists them';
      tally.violations.push(
        `${externalId}: quotes lost ${reallyLost.join(',') || '-'} / not on Avinode ${extra.join(',') || '-'} (run ${progress.phase}, ${progress.endReason ?? ''}; ${known})`,
      );
    }
    for (const quote of live) {
      const { quote: actual } = await withRetry(() => avinode.readQuote(quote.quoteId));
      if (actual.price === quote.price) {
        if (quote.priceHistory.length > 0) tally.repricesReflected += 1;
        continue;
      }
      if (late(actual.updatedOn)) tally.lateChanges += 1;
      else
        tally.violations.push(
          `${externalId}: ${quote.quoteId} at ${quote.price}, Avinode says ${actual.price} since ${actual.updatedOn}, the run ended ${new Date(closedAt).toISOString()}`,
        );
    }
    const declinedOnAvinode = rfqs.flatMap((rfq) => rfq.lifts).filter((lift) => lift.status === 'declined').length;
    const rfqIds = new Set(rfqs.map((rfq) => rfq.rfqId));
    const declinedInRun = progress.declines.filter((decline) => rfqIds.has(decline.rfqId)).length;
    if (declinedOnAvinode !== declinedInRun)
      tally.violations.push(`${externalId}: ${declinedInRun} declines recorded, Avinode has ${declinedOnAvinode}`);
  }

  // The server's record: workflow task failures by cause, non-determinism above all; secrets.
  const history = await handle.fetchHistory();
  for (const event of history.events ?? []) {
    const failed = event.workflowTaskFailedEventAttributes;
    if (!failed) continue;
    const cause =
      WorkflowTaskFailedCause[failed.cause ?? 0]?.replace('WORKFLOW_TASK_FAILED_CAUSE_', '') ?? String(failed.cause);
    tally.workflowTaskFailures[cause] = (tally.workflowTaskFailures[cause] ?? 0) + 1;
    if (/NON_DETERMINISTIC|non.?determinis/i.test(`${cause} ${failed.failure?.message ?? ''}`))
      tally.nonDeterminism += 1;
  }
  const text = historyToJSON(history);
  const decoded = text.replace(/"data":"([A-Za-z0-9+/=]+)"/g, (_m, b64: string) =>
    Buffer.from(b64, 'base64').toString('utf8'),
  );
  if (secrets.some((secret) => text.includes(secret) || decoded.includes(secret))) tally.secretsInHistories += 1;
}

describe(`soak (${PROFILE} profile)`, () => {
  it(`${TRIPS} trips under worker kills, a server restart, faults and a sandbox reset keep every invariant`, async () => {
    const runs: Run[] = Array.from({ length: TRIPS }, (_, i) => ({
      request: oneWayRequest({
        externalId: `soak-${SEED}-${Date.now().toString(36)}-${i}`,
        // Every fourth run continues as new early, so state carry-over is soaked too.
        timing: {
          pollInitialMs: 1_000,
          pollMaxMs: 5_000,
          credentialRecheckMs: 1_000,
          ...(i % 4 === 0 ? { continueAsNewAfterEvents: 150 } : {}),
        },
      }),
      startAttempts: 0,
      closed: false,
    }));
    const byWorkflowId = new Map(runs.map((run) => [workflowIdFor(run.request.externalId), run]));
    const queue = stack.config.temporal.taskQueue;
    const avinode = createAvinodeClient({
      baseUrl: stack.emulator.apiBaseUrl,
      apiToken: stack.emulator.credentials.apiToken,
      product: stack.config.avinode.product,
      apiVersion: stack.config.avinode.apiVersion,
      tokenSource: createAvinodeTokenSource(stack.config.avinode),
    });
    const secrets = [
      stack.emulator.credentials.clientSecret,
      stack.emulator.credentials.apiToken,
      stack.config.webhooks.password ?? '',
      ...temporal.secrets,
    ].filter((s) => s.length >= 8);
    const tally: Tally = {
      violations: [],
      workflowTaskFailures: {},
      nonDeterminism: 0,
      secretsInHistories: 0,
      timeToTerminal: [],
      completed: 0,
      cancelled: 0,
      quotesRecorded: 0,
      repricesReflected: 0,
      checkedBeforeReset: 0,
      wipedBeforeCheck: 0,
      outcomeReportsOnWipedTrips: 0,
      lateChanges: 0,
    };
    const checked = new Set<Run>();
    const began = Date.now();
    await stack.emulator.admin.setFaults(FAULTS, SEED);

    let finished = false;
    let kills = 0;
    let revocations = 0;
    let serverRestarts = 0;
    let sandboxResets = 0;
    let resetAt = Number.POSITIVE_INFINITY;
    const killLoop = (async () => {
      for (let i = 0; !finished; i += 1) {
        await sleep(KILL_EVERY_MS);
        if (finished) break;
        await restartWorker(fleet.workers[i % fleet.workers.length]!);
        kills += 1;
      }
    })();
    const revokeTimer = setInterval(() => {
      void stack.emulator.admin.revokeTokens().then(() => (revocations += 1));
    }, REVOKE_EVERY_MS);
    const disruptions: Promise<void>[] = [];
    // The weekly wipe deletes the trips of runs that already ended: check those first, then wipe.
    const resetSandbox = async () => {
      // Runs keep ending while the first pass checks: pass again until one finds none (or five passes).
      for (let pass = 0; pass < 5; pass += 1) {
        const ended: Run[] = [];
        for (const run of runs) {
          if (run.deepLinkMs === undefined || checked.has(run)) continue;
          const { status } = await stack.client.workflow.getHandle(workflowIdFor(run.request.externalId)).describe();
          if (status.name !== 'RUNNING') ended.push(run);
        }
        if (ended.length === 0) break;
        const stats = await stack.emulator.admin.stats();
        for (const run of ended) {
          await checkRun(run, avinode, stats.tripsByExternalId, secrets, tally, {});
          checked.add(run);
          tally.checkedBeforeReset += 1;
        }
      }
      resetAt = Date.now();
      await stack.emulator.admin.reset();
      sandboxResets += 1;
    };

    const arrivals = runPaced(TRIPS, ARRIVAL_MS, async (i) => {
      if (i === Math.floor(TRIPS * 0.3)) disruptions.push(temporal.restart().then(() => void (serverRestarts += 1)));
      if (i === Math.floor(TRIPS * 0.6)) disruptions.push(resetSandbox());
      await startWithRetry(runs[i]!);
    });

    // The driver: visibility finds the runs that wait for the broker, and the ones that ended.
    const open = () => runs.filter((run) => !run.closed);
    const drainDeadline = began + TRIPS * ARRIVAL_MS + DRAIN_MS;
    let arrived = false;
    void arrivals.then(() => (arrived = true));
    while ((!arrived || open().length > 0) && Date.now() < drainDeadline) {
      await sleep(2_000);
      try {
        // A run that continued as new leaves a closed execution behind under the same workflow id.
        for (const id of await listIds(
          `TaskQueue = '${queue}' AND WorkflowType = 'charterTripWorkflow' AND ExecutionStatus != 'Running' AND ExecutionStatus != 'ContinuedAsNew'`,
        )) {
          const run = byWorkflowId.get(id);
          if (run) run.closed = true;
        }
        const waiting = await listIds(
          `TaskQueue = '${queue}' AND ExecutionStatus = 'Running' AND (TripPhase = '${AWAITING_SELECTION}' OR (TripPhase = 'collecting_quotes' AND QuoteCount = 0))`,
        );
        for (const id of waiting) {
          const run = byWorkflowId.get(id);
          if (run && !run.closed) await decide(run).catch(() => undefined); // retried on the next pass
        }
      } catch {
        // The server restarting: the next pass asks again.
      }
    }
    await arrivals;
    await Promise.all(disruptions);
    finished = true;
    clearInterval(revokeTimer);
    await killLoop;
    for (const worker of fleet.workers) if (!worker.running()) await restartWorker(worker);
    const durationMs = Date.now() - began;
    await stack.emulator.admin.clearFaults();
    const stats = await stack.emulator.admin.stats();

    // ---- Invariants, from the emulator's ground truth and the server's records ----
    for (const run of runs) {
      if (checked.has(run)) continue;
      await checkRun(
        run,
        avinode,
        stats.tripsByExternalId,
        secrets,
        tally,
        Number.isFinite(resetAt) ? { resetAt } : {},
      );
    }
    await avinode.close();
    const { violations } = tally;
    // Routing workflows still fetching a resource finish once the faults are off; give them a minute,
    // then anything left open is reported with the state of its pending workflow task (from the server).
    const runningQuery = `TaskQueue = '${queue}' AND ExecutionStatus = 'Running'`;
    const drainedBy = Date.now() + 60_000;
    while ((await stack.client.workflow.count(runningQuery)).count > 0 && Date.now() < drainedBy) await sleep(1_000);
    let stuckWorkflowTasks = 0;
    const stillRunning = await listIds(runningQuery);
    for (const id of stillRunning) {
      const { raw } = await stack.client.workflow.getHandle(id).describe();
      const task = raw.pendingWorkflowTask;
      if (task && (task.attempt ?? 1) > 1) stuckWorkflowTasks += 1;
      const activity = raw.pendingActivities?.[0];
      // Kept for the diagnosis: the run's history as the server has it (the soak tears the cluster down).
      const history = await stack.client.workflow.getHandle(id).fetchHistory();
      mkdirSync(EVIDENCE, { recursive: true });
      writeFileSync(join(EVIDENCE, `${id}.json`), historyToJSON(history));
      violations.push(
        `${id} still running: workflow task ${task ? `pending, attempt ${task.attempt}` : 'none pending'}; activity ${activity ? `${activity.activityType?.name} attempt ${activity.attempt}: ${activity.lastFailure?.message ?? 'no failure'}` : 'none'}`,
      );
    }
    if (tally.nonDeterminism > 0) violations.push(`${tally.nonDeterminism} non-determinism errors`);
    if (tally.secretsInHistories > 0) violations.push(`secrets in ${tally.secretsInHistories} histories`);
    const logText = `${processOutput.join('\n')}\n${stack.logs()}`;
    if (violations.length > 0) {
      // The worker processes' output (redacted by the processes themselves) beside the histories.
      mkdirSync(EVIDENCE, { recursive: true });
      writeFileSync(join(EVIDENCE, 'processes.log'), `${processOutput.slice(-50_000).join('\n')}\n`);
      process.stdout.write(`[soak] evidence (histories of runs left open, process output) in ${EVIDENCE}\n`);
    }
    const metricsText = (await Promise.all(fleet.metricsUrls.map(async (url) => (await fetch(url)).text()))).join('\n');
    const secretsInLogs = secrets.filter((secret) => logText.includes(secret)).length;
    const secretsInMetrics = secrets.filter((secret) => metricsText.includes(secret)).length;
    if (secretsInLogs > 0) violations.push(`${secretsInLogs} secrets in log lines`);
    if (secretsInMetrics > 0) violations.push(`${secretsInMetrics} secrets in metrics`);
    if (!metricsText.includes('temporal_')) violations.push('no worker metrics scraped');
    if (kills < 1 || serverRestarts !== 1 || sandboxResets !== 1)
      violations.push(
        `disruptions missing: ${kills} kills, ${serverRestarts} server restarts, ${sandboxResets} resets`,
      );

    const apiCalls = Object.entries(stats.requestsByRoute)
      .filter(([route]) => / \/api\//.test(route))
      .reduce((sum, [, count]) => sum + count, 0);
    const deepLinks = runs.flatMap((run) => (run.deepLinkMs !== undefined ? [run.deepLinkMs] : []));
    const round = (value: number) => Math.round(value);
    const results = {
      profile: PROFILE,
      server: temporal.description,
      seed: SEED,
      trips: TRIPS,
      completed: tally.completed,
      cancelled: tally.cancelled,
      durationS: round(durationMs / 1000),
      faultsInjected: stats.faultsInjected,
      webhooks: {
        delivered: stats.webhooks.delivered,
        dropped: stats.webhooks.dropped,
        duplicated: stats.webhooks.duplicated,
        failedAttempts: stats.webhooks.failedAttempts,
      },
      tokenRevocations: revocations,
      sandboxResets,
      workerKills: kills,
      // Launches, retried ones included: a worker cannot connect while the server restarts.
      workerLaunches: fleet.workers.reduce((sum, worker) => sum + worker.starts(), 0),
      serverRestarts,
      startRetries: runs.reduce((sum, run) => sum + run.startAttempts - 1, 0),
      deepLinkP50Ms: round(percentile(deepLinks, 50)),
      deepLinkP95Ms: round(percentile(deepLinks, 95)),
      timeToTerminalP50S: Math.round(percentile(tally.timeToTerminal, 50) / 100) / 10,
      timeToTerminalP95S: Math.round(percentile(tally.timeToTerminal, 95) / 100) / 10,
      avinodeQuotes: stats.quotes,
      quotesRecorded: tally.quotesRecorded,
      declines: stats.declines,
      reprices: stats.reprices,
      repricesReflected: tally.repricesReflected,
      chats: stats.chats,
      avinodeCallsPerQuote: Math.round((apiCalls / Math.max(1, stats.quotes)) * 10) / 10,
      checkedBeforeReset: tally.checkedBeforeReset,
      wipedBeforeCheck: tally.wipedBeforeCheck,
      outcomeReportsOnWipedTrips: tally.outcomeReportsOnWipedTrips,
      lateChanges: tally.lateChanges,
      workflowTaskFailures: tally.workflowTaskFailures,
      nonDeterminismErrors: tally.nonDeterminism,
      workflowsLeftRunning: stillRunning.length,
      stuckWorkflowTasks,
      secretsFound: tally.secretsInHistories + secretsInLogs + secretsInMetrics,
      violations: violations.length,
      at: new Date().toISOString(),
    };
    process.stdout.write(
      `\n[soak] ${PROFILE} profile\n${Object.entries(results)
        .map(
          ([key, value]) => `  ${key.padEnd(22)} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
        )
        .join('\n')}\n`,
    );
    if (violations.length > 0) process.stdout.write(`[soak] violations:\n  ${violations.slice(0, 50).join('\n  ')}\n`);
    let all: Record<string, unknown> = {};
    try {
      all = JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown>;
    } catch {
      // First run: start the file.
    }
    all[PROFILE] = results;
    mkdirSync(dirname(RESULTS), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(all, null, 2)}\n`);

    expect(violations.slice(0, 30)).toEqual([]);
    expect(tally.completed).toBeGreaterThan(0);
  });
});
