// A workflow-only worker in its own process, for tests that SIGKILL it: no activities, no graceful
// shutdown, so the server keeps the run sticky to this worker's queue until its schedule-to-start
// timeout (WORKER_STICKY_TIMEOUT_MS). Prints "ready" once polling.
import { NativeConnection, Worker } from '@temporalio/worker';

const { TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TASK_QUEUE, WORKFLOW_BUNDLE_PATH, WORKER_STICKY_TIMEOUT_MS } =
  process.env;
const connection = await NativeConnection.connect({ address: TEMPORAL_ADDRESS! });
const worker = await Worker.create({
  connection,
  namespace: TEMPORAL_NAMESPACE!,
  taskQueue: TASK_QUEUE!,
  workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH! },
  stickyQueueScheduleToStartTimeout: Number(WORKER_STICKY_TIMEOUT_MS),
});
const running = worker.run();
process.stdout.write('ready\n');
await running;
