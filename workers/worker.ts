// `charterflow worker`: config → logger → Runtime → connection → Worker, plus the Avinode webhook
// subscriptions registered (or updated) at start and kept healed while it runs.
import { parseArgs } from 'node:util';
import { IllegalStateError, type LogLevel, type LogMetadata, type Logger as TemporalLogger } from '@temporalio/common';
import { NativeConnection, Runtime, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { activityDepsFromConfig, createActivities } from '../activities/index.ts';
import { createAvinodeTokenSource } from '../activities/auth/index.ts';
import { createAvinodeClient, type AvinodeClient } from '../activities/avinode/client.ts';
import { activityScopedLogger, charterActivityInterceptors } from '../activities/interceptors.ts';
import { avinodeTaskQueueOf } from '../workflows/activity-options.ts';
import { createCharterWorkers } from './charter-workers.ts';
import { avinodeActivityRateLimit, loadConfig, type Config } from '../platform/config.ts';
import { createLogger, redactError, type Logger } from '../platform/logging.ts';
import { payloadCodecsFor } from '../platform/payload-codec.ts';
import { DEFAULT_TEMPORAL_ADDRESS, temporalConnectionOptions } from '../platform/temporal-connection.ts';
import { activityTracingFor } from './tracing.ts';
import { workerDeploymentOptionsFor } from './versioning.ts';
import {
  reconcileWebhookSubscriptions,
  WebhookSubscriptionHealer,
  type SubscriptionCounts,
} from './webhook-subscriptions.ts';
import { defaultWorkflowSource, describeWorkflowSource, type WorkflowSource } from './workflow-bundle.ts';

export { WORKFLOWS_PATH } from './workflow-bundle.ts';

/**
 * SDK warnings that describe how charterflow is built, not a problem: the Avinode-queue worker runs
 * activities only (workers/charter-workers.ts), so "no workflows registered" is expected there.
 */
const EXPECTED_SDK_WARNINGS = [/^No workflows registered, not polling for workflow tasks/];

/** Temporal's Logger interface on top of our redacting pino logger (expected SDK warnings at debug). */
export function temporalLoggerFor(logger: Logger): TemporalLogger {
  const write = (given: LogLevel, message: string, meta?: LogMetadata) => {
    const level = given === 'WARN' && EXPECTED_SDK_WARNINGS.some((known) => known.test(message)) ? 'DEBUG' : given;
    const method =
      ({ TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const)[level] ?? 'info';
    logger[method]({ ...meta, sdk: true }, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}

/** Installs the Runtime once per process; later calls (tests, `start`) keep the first one. */
/** Where Prometheus scrapes a worker process. */
export const metricsUrl = (bindAddress: string) => `http://${bindAddress}/metrics`;

/**
 * The process's one Temporal Runtime: SDK logs through our redacting logger, and with `metrics` a
 * Prometheus endpoint for the SDK's metrics and the workflows' own (workflows/metrics.ts).
 * First call wins: a process that wants metrics installs it before startWorker does.
 */
export function installRuntime(
  logger: Logger,
  shutdownSignals: NodeJS.Signals[],
  metrics?: { bindAddress: string },
): boolean {
  try {
    Runtime.install({
      logger: temporalLoggerFor(logger),
      shutdownSignals,
      ...(metrics ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metrics.bindAddress } } } } : {}),
    });
    return true;
  } catch (error) {
    // Already installed in this process (first call wins).
    if (error instanceof IllegalStateError) return false;
    if (metrics) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `METRICS_PORT: cannot serve metrics on ${metrics.bindAddress} (${reason}); choose a free port, or METRICS_PORT=0 to turn the endpoint off`,
      );
    }
    throw error;
  }
}

export { webhookTargetUri } from './webhook-subscriptions.ts';

/**
 * One subscription per event type (payloads name the resource, not the event), created or brought
 * in line with our target and credentials; idempotent across restarts and workers.
 */
export async function registerWebhookSubscriptions(
  avinode: AvinodeClient,
  config: Pick<Config, 'webhooks'>,
  logger?: Logger,
): Promise<SubscriptionCounts> {
  return reconcileWebhookSubscriptions(avinode, config, { refreshAll: true, ...(logger ? { logger } : {}) });
}

/** The worker settings (WORKER_*) as SDK options: the sticky cache bound and the concurrency of each queue's worker. */
export function workerTuningOptions(worker: Config['worker']) {
  return {
    maxCachedWorkflows: worker.maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: worker.maxConcurrentWorkflowTasks,
    maxConcurrentActivityTaskExecutions: worker.maxConcurrentActivities,
    stickyQueueScheduleToStartTimeout: worker.stickyQueueTimeoutMs,
  };
}

export interface StartWorkerOptions {
  config: Readonly<Config>;
  logger: Logger;
  connection?: NativeConnection;
  /**
   * A prebuilt bundle (tests bundle once per file). Default: dist/workflow-bundle.js when running
   * compiled and `npm run build` wrote it, else workflows/index.ts bundled at start.
   */
  workflowBundle?: WorkflowBundleOption;
  taskQueue?: string;
  /**
   * Default true: register the Avinode webhook subscriptions at start, then keep them healed
   * (every WEBHOOK_SUBSCRIPTION_CHECK_MS, and after a run sees a wipe or credentials come back).
   */
  registerWebhooks?: boolean;
  shutdownGraceTime?: string;
}

export interface RunningWorker {
  /** Polls the main task queue: workflows and every activity. */
  worker: Worker;
  /** Polls the Avinode task queue (`<task queue>-avinode`): the Avinode-calling activities, rate-limited fleet-wide. */
  avinodeWorker: Worker;
  /** Which workflow code runs: the prebuilt bundle's path, or the sources bundled at start. */
  workflows: string;
  avinode: AvinodeClient;
  /** Keeps the webhook subscriptions healed; absent with `registerWebhooks: false`. */
  subscriptions?: WebhookSubscriptionHealer;
  run(): Promise<void>;
  shutdown(): Promise<void>;
}

export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const { config, logger } = options;
  if (!config.avinode.baseUrl)
    throw new Error('AVINODE_BASE_URL is unset: the worker needs the Avinode API (or the emulator) to talk to');
  installRuntime(logger, []);
  // Inside an activity every line names its workflow, run, activity type and attempt (the interceptor).
  const activityLogger = activityScopedLogger(logger);
  const tokenSource = createAvinodeTokenSource(config.avinode, {
    logger: activityLogger,
    timeoutMs: config.avinode.httpTimeoutMs,
  });
  const avinode = createAvinodeClient({
    baseUrl: config.avinode.baseUrl,
    apiToken: config.avinode.apiToken,
    product: config.avinode.product,
    apiVersion: config.avinode.apiVersion,
    ...(config.avinode.actAsAccount ? { actAsAccount: config.avinode.actAsAccount } : {}),
    tokenSource,
    logger: activityLogger,
    timeouts: { headersMs: config.avinode.httpTimeoutMs, bodyMs: config.avinode.httpTimeoutMs },
  });
  const tracing = activityTracingFor(config.tracing);
  const ownsConnection = !options.connection;
  const connection = options.connection ?? (await NativeConnection.connect(temporalConnectionOptions(config.temporal)));
  const taskQueue = options.taskQueue ?? config.temporal.taskQueue;
  const workflowSource: WorkflowSource = options.workflowBundle
    ? { workflowBundle: options.workflowBundle }
    : defaultWorkflowSource();
  const workerDeploymentOptions = workerDeploymentOptionsFor(config.temporal.workerDeployment);
  const subscriptions =
    (options.registerWebhooks ?? true)
      ? new WebhookSubscriptionHealer({ avinode, config, logger, intervalMs: config.webhooks.subscriptionCheckMs })
      : undefined;
  try {
    await subscriptions?.start();
    logger.info(
      {
        taskQueue,
        avinodeTaskQueue: options.taskQueue ? avinodeTaskQueueOf(options.taskQueue) : config.temporal.avinodeTaskQueue,
        workflows: describeWorkflowSource(workflowSource),
        ...(tracing ? { otlpEndpoint: tracing.endpoint } : {}),
        ...(config.temporal.workerDeployment ? { workerDeployment: config.temporal.workerDeployment } : {}),
      },
      'creating worker',
    );
    const workers = await createCharterWorkers({
      connection,
      namespace: config.temporal.namespace,
      taskQueue,
      ...workflowSource,
      ...(workerDeploymentOptions ? { workerDeploymentOptions } : {}),
      activities: createActivities({
        ...activityDepsFromConfig(config, avinode, activityLogger),
        ...(subscriptions ? { onAvinodeRecovered: (reason) => subscriptions.nudge(reason) } : {}),
      }),
      // Log context, heartbeats while a call is in flight, the failure metric; spans with OTLP configured.
      interceptors: { activity: [charterActivityInterceptors(), ...(tracing ? [tracing.interceptors] : [])] },
      // Only the Avinode queue is rate-limited: callbacks and lookups never wait for Avinode's budget.
      avinodeActivitiesPerSecond: avinodeActivityRateLimit(config.avinode),
      // A worker given another main queue (tests) derives its Avinode queue from it.
      avinodeTaskQueue: options.taskQueue ? avinodeTaskQueueOf(options.taskQueue) : config.temporal.avinodeTaskQueue,
      ...workerTuningOptions(config.worker),
      // Also used by the activities' Context client (worker.client inherits it).
      dataConverter: { payloadCodecs: payloadCodecsFor(config.payloadEncryption) },
      shutdownGraceTime: options.shutdownGraceTime ?? '10s',
    });
    const worker = workers.main;
    let running: Promise<void> | undefined;
    return {
      worker,
      avinodeWorker: workers.avinode,
      workflows: describeWorkflowSource(workflowSource),
      avinode,
      ...(subscriptions ? { subscriptions } : {}),
      run: () =>
        (running ??= workers.run().finally(async () => {
          await subscriptions?.stop();
          await avinode.close();
          await tracing?.shutdown();
          if (ownsConnection) await connection.close();
        })),
      shutdown: async () => {
        workers.shutdown();
        await running?.catch(() => undefined);
      },
    };
  } catch (error) {
    await subscriptions?.stop();
    await avinode.close();
    await tracing?.shutdown();
    if (ownsConnection) await connection.close();
    throw error;
  }
}

export async function runWorkerCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      'no-webhook-registration': { type: 'boolean' },
      check: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(
      [
        'Usage: charterflow worker [--no-webhook-registration]',
        '       charterflow worker --check',
        '',
        'Runs a worker for TEMPORAL_TASK_QUEUE against TEMPORAL_ADDRESS and AVINODE_BASE_URL. SIGTERM/SIGINT drain it gracefully.',
        'With TEMPORAL_WORKER_DEPLOYMENT and TEMPORAL_WORKER_BUILD_ID it polls as that worker deployment version.',
        '--check: exit 0 when the worker of this machine (its metrics endpoint, METRICS_HOST/METRICS_PORT) polls for',
        'workflow tasks, 1 otherwise, with the reason on stderr (the container healthcheck).',
        '',
      ].join('\n'),
    );
    return 0;
  }
  const config = loadConfig();
  if (values.check) {
    const { checkWorkerPolling } = await import('./worker-check.ts');
    const verdict = await checkWorkerPolling(config);
    (verdict.ok ? process.stdout : process.stderr).write(`${verdict.detail}\n`);
    return verdict.ok ? 0 : 1;
  }
  const logger = createLogger({ level: config.logLevel, name: 'charterflow-worker' });
  // The Runtime owns SIGINT/SIGTERM here: it shuts every worker down gracefully and run() resolves.
  installRuntime(logger, ['SIGINT', 'SIGTERM', 'SIGQUIT'], config.metrics);
  try {
    const running = await startWorker({ config, logger, registerWebhooks: !values['no-webhook-registration'] });
    if (config.metrics)
      process.stdout.write(
        `${JSON.stringify({ event: 'listening', service: 'metrics', url: metricsUrl(config.metrics.bindAddress) })}\n`,
      );
    const deployment = config.temporal.workerDeployment;
    process.stdout.write(
      `${JSON.stringify({
        event: 'ready',
        service: 'worker',
        taskQueue: config.temporal.taskQueue,
        avinodeTaskQueue: config.temporal.avinodeTaskQueue,
        address: config.temporal.address ?? DEFAULT_TEMPORAL_ADDRESS,
        workflows: running.workflows,
        ...(deployment ? { workerDeployment: deployment.deploymentName, buildId: deployment.buildId } : {}),
      })}\n`,
    );
    await running.run();
    logger.info('worker stopped');
    return 0;
  } catch (error) {
    logger.error({ err: redactError(error) }, 'worker failed');
    throw error;
  }
}
