// The two task queues a charterflow worker process polls (workflows/activity-options.ts):
// - the main queue (TEMPORAL_TASK_QUEUE): workflows and every activity, no activity rate limit;
// - the Avinode queue (`<main>-avinode`): only the activities that call Avinode, with
//   `maxTaskQueueActivitiesPerSecond`. That limit is a task-queue setting the server enforces for
//   all workers polling the queue together, so AVINODE_RATE_LIMIT_PER_SECOND caps the fleet's
//   Avinode calls however many workers run (each poller sends the same value; the last one wins).
// Every activity stays registered on the main queue too: activities that runs scheduled there
// before the split still find a worker.
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { AVINODE_ACTIVITY_TYPES, avinodeTaskQueueOf } from '../workflows/activity-options.ts';

export interface CharterWorkerOptions extends Omit<WorkerOptions, 'maxTaskQueueActivitiesPerSecond'> {
  /** The Avinode queue's fleet-wide activity rate (AVINODE_RATE_LIMIT_PER_SECOND less the receivers' budget); unset: unlimited. */
  avinodeActivitiesPerSecond?: number;
  /** AVINODE_TASK_QUEUE; default `<taskQueue>-avinode`, what runs derive when their start names none. */
  avinodeTaskQueue?: string;
}

export interface CharterWorkers {
  /** Workflows and every activity, on the main task queue. */
  main: Worker;
  /** The Avinode-calling activities, on the Avinode task queue. */
  avinode: Worker;
  avinodeTaskQueue: string;
  /** Runs both until both stop; one failing shuts the other down. */
  run(): Promise<void>;
  /** Runs both until the promise settles, then shuts both down. */
  runUntil<T>(until: Promise<T>): Promise<T>;
  shutdown(): void;
}

const AVINODE_ACTIVITIES: ReadonlySet<string> = new Set(AVINODE_ACTIVITY_TYPES);

/** The activities that call Avinode, picked from the worker's activity object. */
function avinodeActivitiesOf(activities: WorkerOptions['activities']): object {
  return Object.fromEntries(Object.entries(activities ?? {}).filter(([name]) => AVINODE_ACTIVITIES.has(name)));
}

export async function createCharterWorkers(options: CharterWorkerOptions): Promise<CharterWorkers> {
  const { avinodeActivitiesPerSecond, avinodeTaskQueue = avinodeTaskQueueOf(options.taskQueue), ...common } = options;
  const main = await Worker.create(common);
  const {
    workflowsPath: _path,
    workflowBundle: _bundle,
    maxCachedWorkflows: _cache,
    maxConcurrentWorkflowTaskExecutions: _wft,
    stickyQueueScheduleToStartTimeout: _sticky,
    bundlerOptions: _bundler,
    interceptors,
    ...activityOnly
  } = common;
  // Activity interceptors apply on both queues; workflow interceptor modules only where workflows run.
  const { workflowModules: _modules, ...activityInterceptors } = interceptors ?? {};
  const avinode = await Worker.create({
    ...activityOnly,
    ...(interceptors ? { interceptors: activityInterceptors } : {}),
    taskQueue: avinodeTaskQueue,
    activities: avinodeActivitiesOf(options.activities),
    ...(avinodeActivitiesPerSecond !== undefined
      ? { maxTaskQueueActivitiesPerSecond: avinodeActivitiesPerSecond }
      : {}),
  });
  const shutdown = () => {
    for (const worker of [main, avinode]) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  let running: Promise<void> | undefined;
  const run = () =>
    (running ??= (async () => {
      const runs = [main.run(), avinode.run()].map((done) =>
        done.catch((error: unknown) => (shutdown(), Promise.reject(error))),
      );
      const results = await Promise.allSettled(runs);
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
    })());
  return {
    main,
    avinode,
    avinodeTaskQueue,
    run,
    async runUntil<T>(until: Promise<T>): Promise<T> {
      const both = run();
      try {
        return await Promise.race([
          until,
          both.then(() => Promise.reject(new Error('the workers stopped before the work was done'))),
        ]);
      } finally {
        shutdown();
        await both.catch(() => undefined);
      }
    },
    shutdown,
  };
}
