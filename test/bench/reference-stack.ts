// The reference side of the goals benchmark: a worker for reference-workflows.ts on its own task
// queue of the same Temporal server, running charterflow's own activities against an emulator, and
// (for lifecycles) the least webhook receiver: one signal per webhook, the trip found in memory.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { activityDepsFromConfig, createActivities } from '../../activities/index.ts';
import { createAvinodeTokenSource } from '../../activities/auth/index.ts';
import { createAvinodeClient, type AvinodeClient } from '../../activities/avinode/client.ts';
import type { RunningEmulator } from '../../emulator/index.ts';
import { avinodeActivityRateLimit, loadConfig, type Config } from '../../platform/config.ts';
import { createLogger } from '../../platform/logging.ts';
import { registerWebhookSubscriptions } from '../../workers/worker.ts';
import type { TripCreated, TripRequest } from '../../workflows/contract.ts';
import type { ReferenceProgress } from './reference-workflows.ts';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
function referenceBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./reference-workflows.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  return bundle;
}

export interface ReferenceSide {
  taskQueue: string;
  config: Readonly<Config>;
  /** Avinode reads the receiver made to find a message's trip (not Temporal work; subtracted from the reference's Avinode calls). */
  receiverReads(): number;
  startTrip(request: TripRequest): Promise<TripCreated>;
  progress(externalId: string): Promise<ReferenceProgress>;
  select(externalId: string, quoteId: string): Promise<ReferenceProgress>;
  cancel(externalId: string): Promise<ReferenceProgress>;
  close(): Promise<void>;
}

export const referenceWorkflowId = (externalId: string) => `reference-${externalId}`;

const silent = createLogger({ level: 'warn' });

function envFor(
  base: NodeJS.ProcessEnv,
  emulator: RunningEmulator,
  taskQueue: string,
  webhookUrl?: string,
): NodeJS.ProcessEnv {
  return {
    ...base,
    TEMPORAL_TASK_QUEUE: taskQueue,
    AVINODE_BASE_URL: emulator.apiBaseUrl,
    AVINODE_API_TOKEN: emulator.credentials.apiToken,
    AVINODE_CLIENT_ID: emulator.credentials.clientId,
    AVINODE_CLIENT_SECRET: emulator.credentials.clientSecret,
    AVINODE_CLIENT_AUTH_METHOD: emulator.credentials.authMethod,
    ...(webhookUrl ? { WEBHOOK_PUBLIC_URL: webhookUrl } : {}),
  };
}

function avinodeFor(config: Readonly<Config>): AvinodeClient {
  return createAvinodeClient({
    baseUrl: config.avinode.baseUrl!,
    apiToken: config.avinode.apiToken,
    product: config.avinode.product,
    apiVersion: config.avinode.apiVersion,
    tokenSource: createAvinodeTokenSource(config.avinode, { timeoutMs: config.avinode.httpTimeoutMs }),
    timeouts: { headersMs: config.avinode.httpTimeoutMs, bodyMs: config.avinode.httpTimeoutMs },
  });
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Starts the reference worker against `emulator` with the settings of `baseEnv` (the charterflow
 * stack's: same Temporal server and namespace, same AVINODE_RATE_LIMIT_PER_SECOND). With
 * `webhooks`, the emulator's subscriptions point at the reference receiver.
 */
export async function startReference(options: {
  client: Client;
  baseEnv: NodeJS.ProcessEnv;
  emulator: RunningEmulator;
  webhooks: boolean;
}): Promise<ReferenceSide> {
  const { client, emulator } = options;
  const taskQueue = `reference-${randomUUID()}`;
  const tripToWorkflow = new Map<string, string>();
  const rfqToTrip = new Map<string, string>();
  const waiters = new Set<() => void>();
  let reads = 0;
  let server: Server | undefined;
  let url: string | undefined;

  const config0 = loadConfig(envFor(options.baseEnv, emulator, taskQueue));
  const avinode = avinodeFor(config0);

  /** Waits (bounded) until `lookup` answers: a webhook may overtake the start's answer to the bench. */
  async function resolved(lookup: () => string | undefined, timeoutMs = 10_000): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (let value = lookup(); ; value = lookup()) {
      if (value || Date.now() > deadline) return value;
      await new Promise<void>((resolve) => {
        const wake = () => {
          waiters.delete(wake);
          resolve();
        };
        waiters.add(wake);
        setTimeout(wake, 200);
      });
    }
  }
  const notify = () => [...waiters].forEach((wake) => wake());

  if (options.webhooks) {
    server = createServer((req, res) => {
      void (async () => {
        try {
          const payload = JSON.parse(await bodyOf(req)) as { id: string; href: string; type: string; tripId?: string };
          let tripId = payload.tripId;
          if (tripId && payload.type === 'rfqs') {
            rfqToTrip.set(payload.id, tripId);
            notify();
          }
          if (!tripId && payload.type === 'tripmsgs') {
            reads += 1;
            const resource = await avinode.readByHref(payload.href);
            const rfqId = resource.type === 'tripmsgs' ? resource.value.message.rfqId : undefined;
            tripId = rfqId ? await resolved(() => rfqToTrip.get(rfqId)) : undefined;
          }
          const workflowId = tripId ? await resolved(() => tripToWorkflow.get(tripId)) : undefined;
          if (workflowId) await client.workflow.getHandle(workflowId).signal('referenceWake', payload.id);
          res.writeHead(200).end();
        } catch {
          res.writeHead(500).end();
        }
      })();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  const config = loadConfig(envFor(options.baseEnv, emulator, taskQueue, url));
  if (options.webhooks) await registerWebhookSubscriptions(avinode, config);

  const connection = await NativeConnection.connect({ address: config.temporal.address! });
  const activities = createActivities(activityDepsFromConfig(config, avinode, silent));
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    workflowBundle: await referenceBundle(),
    activities: {
      createTrip: activities.createTrip,
      readTripState: activities.readTripState,
      reportTripOutcome: activities.reportTripOutcome,
      cancelAvinodeTrip: activities.cancelAvinodeTrip,
    },
    // The same Avinode call budget as charterflow's Avinode queue: every reference activity calls
    // Avinode, and its receiver's reads stay outside, as charterflow's receivers' share does.
    maxTaskQueueActivitiesPerSecond: avinodeActivityRateLimit(config.avinode),
    shutdownGraceTime: '2s',
  });
  const running = worker.run();

  return {
    taskQueue,
    config,
    receiverReads: () => reads,
    async startTrip(request) {
      const workflowId = referenceWorkflowId(request.externalId);
      const trip = (await client.workflow.executeUpdateWithStart('referenceGetTrip', {
        startWorkflowOperation: new WithStartWorkflowOperation('referenceTripWorkflow', {
          workflowId,
          taskQueue,
          args: [request],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      })) as TripCreated;
      tripToWorkflow.set(trip.tripId, workflowId);
      notify();
      return trip;
    },
    progress: (externalId) =>
      client.workflow.getHandle(referenceWorkflowId(externalId)).query<ReferenceProgress>('referenceProgress'),
    select: (externalId, quoteId) =>
      client.workflow
        .getHandle(referenceWorkflowId(externalId))
        .executeUpdate('referenceSelect', { args: [quoteId] }) as Promise<ReferenceProgress>,
    cancel: (externalId) =>
      client.workflow
        .getHandle(referenceWorkflowId(externalId))
        .executeUpdate('referenceCancel') as Promise<ReferenceProgress>,
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
      await avinode.close();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}
