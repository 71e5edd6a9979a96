// The whole product in one test process: emulator (real HTTP), webhook receiver, a real worker on
// the shared dev server, and the CharterClient the backend uses. Autopilot off: tests drive actors.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { inject, vi } from 'vitest';
import { waitUntil as waitUntilOf } from '../../support.ts';
import { CharterClient } from '../../../client/index.ts';
import {
  DEFAULT_AUTOPILOT,
  startEmulator,
  type EmulatorOptions,
  type RunningEmulator,
} from '../../../emulator/index.ts';
import { loadConfig, loadPayloadEncryption, type Config } from '../../../platform/config.ts';
import { createLogger } from '../../../platform/logging.ts';
import { payloadCodecsFor } from '../../../platform/payload-codec.ts';
import { startWebhookServer, type RunningWebhookServer } from '../../../workers/webhook-server.ts';
import { startWorker, type RunningWorker } from '../../../workers/worker.ts';
import { TERMINAL_PHASES, workflowIdFor, type TripProgress, type TripRequest } from '../../../workflows/contract.ts';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../../workflows/index.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  return bundle;
}

export const WEBHOOK_PASSWORD = 'stack-webhook-password';

export interface Stack {
  emulator: RunningEmulator;
  config: Readonly<Config>;
  env: NodeJS.ProcessEnv;
  webhooks: RunningWebhookServer;
  worker?: RunningWorker;
  client: Client;
  charter: CharterClient;
  logs: () => string;
  startWorker(): Promise<RunningWorker>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export interface StackOptions {
  emulator?: EmulatorOptions;
  env?: Record<string, string>;
  /** Start the in-process worker (default true); the SIGKILL test runs its own process. */
  worker?: boolean;
  /** Another Temporal server than the suite's shared one (the browser test runs one with a Web UI). */
  temporalAddress?: string;
  /** Its namespace, when it is not the suite's (the soak runs its own server). */
  temporalNamespace?: string;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const emulator = await startEmulator({
    port: 0,
    autopilot: { ...DEFAULT_AUTOPILOT, enabled: false },
    webhookRetry: { firstDelayMs: 100, maxDelayMs: 500, horizonMs: 20_000 },
    tokenRequestsPerMinute: 10_000,
    // Stacks of parallel test files share one Temporal namespace, and routing workflows are named
    // after Avinode ids (avinode-event-<EventType>-<id>): each emulator gets its own id range, or one
    // file's webhook would be taken for another file's redelivery.
    idOffset: randomInt(1, 100_000) * 10_000,
    ...options.emulator,
  });
  const lines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
  const taskQueue = `stack-${randomUUID()}`;
  const temporalAddress = options.temporalAddress ?? inject('temporalAddress');
  const temporalNamespace = options.temporalNamespace ?? inject('temporalNamespace');
  const connection = await Connection.connect({ address: temporalAddress });
  // PAYLOAD_ENCRYPTION_* in options.env: the worker (via config), this client and the CharterClient share the codec.
  const payloadCodecs = payloadCodecsFor(loadPayloadEncryption(options.env ?? {}));
  const client = new Client({ connection, namespace: temporalNamespace, dataConverter: { payloadCodecs } });
  const baseEnv = (webhookUrl?: string): NodeJS.ProcessEnv => ({
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: temporalNamespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    AVINODE_BASE_URL: emulator.apiBaseUrl,
    AVINODE_API_TOKEN: emulator.credentials.apiToken,
    AVINODE_CLIENT_ID: emulator.credentials.clientId,
    AVINODE_CLIENT_SECRET: emulator.credentials.clientSecret,
    AVINODE_CLIENT_AUTH_METHOD: emulator.credentials.authMethod,
    WEBHOOK_PASSWORD,
    WEBHOOK_PORT: '0',
    // Worker processes of parallel test files must not compete for the default metrics port.
    METRICS_PORT: '0',
    ...(webhookUrl ? { WEBHOOK_PUBLIC_URL: webhookUrl } : {}),
    ...options.env,
  });
  const webhooks = await startWebhookServer({ config: loadConfig(baseEnv()), client, logger, port: 0 });
  const env = baseEnv(webhooks.url);
  const config = loadConfig(env);
  const stack: Stack = {
    emulator,
    config,
    env,
    webhooks,
    client,
    charter: new CharterClient(client, { taskQueue }),
    logs: () => lines.join(''),
    async startWorker() {
      const running = await startWorker({
        config,
        logger,
        workflowBundle: await workflowBundle(),
        shutdownGraceTime: '2s',
      });
      void running.run();
      stack.worker = running;
      return running;
    },
    async stopWorker() {
      await stack.worker?.shutdown();
      stack.worker = undefined;
    },
    async close() {
      await stack.stopWorker();
      await webhooks.close();
      await connection.close();
      await emulator.close();
    },
  };
  if (options.worker ?? true) await stack.startWorker();
  return stack;
}

export function futureDate(daysAhead = 30): string {
  return new Date(Date.now() + daysAhead * 86_400_000).toISOString().slice(0, 10);
}

export function oneWayRequest(overrides: Partial<TripRequest> = {}): TripRequest {
  return {
    externalId: `it-${randomUUID().slice(0, 12)}`,
    legs: [{ from: 'KTEB', to: 'KPBI', date: futureDate(), time: '09:30', pax: 5 }],
    aircraftCategory: 'Midsize jet',
    onReset: 'recreate',
    timing: { pollInitialMs: 300, pollMaxMs: 1_000, credentialRecheckMs: 300 },
    ...overrides,
  };
}

/** Polls getProgress until the predicate holds (vi.waitFor); the timeout only bounds a broken run. */
export async function waitForProgress(
  stack: Stack,
  externalId: string,
  predicate: (p: TripProgress) => boolean,
  timeoutMs = 45_000,
): Promise<TripProgress> {
  let last: TripProgress | undefined;
  return vi.waitFor(
    async () => {
      // A failed read is retried too: the run may be between workers (restart test) or not yet visible.
      const progress = await stack.charter.getProgress(externalId).catch(() => undefined);
      if (progress) last = progress;
      if (!progress || !predicate(progress)) {
        throw new Error(
          `timed out waiting on ${externalId}; last progress: ${JSON.stringify(last && { phase: last.phase, counts: last.counts, blockedReason: last.blockedReason })}`,
        );
      }
      return progress;
    },
    { timeout: timeoutMs, interval: 150 },
  );
}

export const isTerminal = (p: TripProgress) => TERMINAL_PHASES.includes(p.phase);

/** Every lift answered: a live quote awaits the broker's choice, or every operator declined. */
export const isDecidable = (p: TripProgress) =>
  p.phase === 'awaiting_selection' || (p.phase === 'collecting_quotes' && p.note !== undefined);

/** The cheapest live quote (same currency as the first), as `trip watch` marks it. */
export function cheapestLiveQuote(p: TripProgress): TripProgress['quotes'][number] | undefined {
  const live = p.quotes.filter((quote) => !quote.vanishedAt);
  return live.filter((quote) => quote.currency === live[0]?.currency).sort((a, b) => a.price - b.price)[0];
}

/**
 * The broker's step, as a backend would take it: once every lift is answered, select the cheapest
 * live quote; when every operator declined, cancel. `rfqs`: how many RFQs the broker sent (the run
 * may not have heard of all of them yet when the first ones are declined). Answers the final progress.
 */
export async function decide(
  stack: Stack,
  externalId: string,
  timeoutMs = 45_000,
  { rfqs }: { rfqs?: number } = {},
): Promise<TripProgress> {
  const ready = await waitForProgress(
    stack,
    externalId,
    (p) => (isDecidable(p) && (rfqs === undefined || p.counts.rfqs >= rfqs)) || isTerminal(p),
    timeoutMs,
  );
  if (isTerminal(ready)) return ready;
  const cheapest = ready.phase === 'awaiting_selection' ? cheapestLiveQuote(ready) : undefined;
  if (cheapest) await stack.charter.selectQuote(externalId, cheapest.quoteId);
  else
    await stack.charter.cancelTrip(externalId, {
      reason: 'OTHER',
      messageToSeller: 'No operator could take the trip.',
    });
  return waitForProgress(stack, externalId, isTerminal, timeoutMs);
}

/** Every event of a run's history as text (payloads decoded), for secret scans. */
export async function historyText(stack: Stack, externalId: string): Promise<string> {
  const history = await stack.client.workflow.getHandle(workflowIdFor(externalId)).fetchHistory();
  const text = historyToJSON(history);
  const decoded = text.replace(/"data":"([A-Za-z0-9+/=]+)"/g, (_m, b64: string) =>
    Buffer.from(b64, 'base64').toString('utf8'),
  );
  return `${text}\n${decoded}`;
}

const BIN = fileURLToPath(new URL('../../../bin/charterflow.js', import.meta.url));

/** `charterflow worker` as its own process, with the stack's configuration; resolves when ready. */
export function spawnWorkerProcess(stack: Stack, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, 'worker', '--no-webhook-registration'], {
    env: { ...process.env, ...stack.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready in 60 s:\n${stderr}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('"event":"ready"')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${stderr}`));
    });
  });
}

/** Sends `signal` to a child process and resolves once it has exited (at once if it already has). */
export function killProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Polls `check` until it returns a truthy value; the deadline only bounds a broken run. */
export async function waitUntil<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 60_000,
): Promise<NonNullable<T>> {
  return waitUntilOf(check, () => what, { timeout: timeoutMs, interval: 100 });
}
