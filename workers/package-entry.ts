// `import … from 'charterflow/worker'`: embed a charterflow worker (and, if wanted, the Avinode
// webhook receiver) in an existing Node process. Configuration comes from loadConfig(env); the
// process installs the Temporal Runtime once (installRuntime) before starting workers.
export {
  installRuntime,
  metricsUrl,
  registerWebhookSubscriptions,
  startWorker,
  type RunningWorker,
  type StartWorkerOptions,
} from './worker.ts';
export { startWebhookServer, type RunningWebhookServer, type WebhookServerOptions } from './webhook-server.ts';
export { ConfigError, loadConfig, type Config, type WorkerDeploymentConfig } from '../platform/config.ts';
export { createLogger, type Logger } from '../platform/logging.ts';
export { payloadCodecsFor } from '../platform/payload-codec.ts';
export { temporalConnectionOptions } from '../platform/temporal-connection.ts';
export { workerDeploymentOptionsFor } from './versioning.ts';
export { PREBUILT_WORKFLOW_BUNDLE_PATH, WORKFLOWS_PATH, writeWorkflowBundle } from './workflow-bundle.ts';
export { DEFAULT_TASK_QUEUE } from '../workflows/contract.ts';
