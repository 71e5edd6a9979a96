// The one activity interceptor (registered by workers/worker.ts through `interceptors.activity`),
// doing for every activity what used to be wrapped around each one by hand:
// - every log line written during the activity names its workflow id, run id, activity type,
//   activity id and attempt (the loggers activities use are scoped: see activityScopedLogger);
// - while the activity runs it heartbeats every heartbeatTimeout/3, so a worker that dies in the
//   middle of an Avinode call is noticed at the heartbeatTimeout, not the startToCloseTimeout, and a
//   cancellation reaches the call (through the context's cancellationSignal) while it is in flight;
// - each failure counts in `charterflow_activity_failures{type}` (Prometheus, METRICS_PORT).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context, Info } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Logger } from '../platform/logging.ts';
import { failureTypeOf } from '../workflows/failures.ts';

export const ACTIVITY_FAILURES_METRIC = 'charterflow_activity_failures';
/** Never heartbeat more often than this, whatever the timeout (the SDK throttles anyway). */
const MIN_HEARTBEAT_INTERVAL_MS = 50;

/** What every log line of one activity execution carries. */
export interface ActivityLogFields {
  workflowId?: string;
  runId?: string;
  activityType: string;
  activityId: string;
  attempt: number;
}

interface Scope {
  fields: ActivityLogFields;
  /** One child per base logger, made on first use. */
  children: WeakMap<object, Logger>;
}

const scope = new AsyncLocalStorage<Scope>();

export function activityLogFields(info: Info): ActivityLogFields {
  return {
    ...(info.workflowExecution
      ? { workflowId: info.workflowExecution.workflowId, runId: info.workflowExecution.runId }
      : {}),
    activityType: info.activityType,
    activityId: info.activityId,
    attempt: info.attempt,
  };
}

/**
 * `base`, except inside an intercepted activity, where each call goes to a child of `base`
 * carrying the activity's ActivityLogFields. Hand it to everything activities log through (the
 * Avinode client, the token layer, the activities themselves); outside activities it is `base`.
 */
export function activityScopedLogger<L extends Logger>(base: L): L {
  const current = (): Logger => {
    const active = scope.getStore();
    if (!active) return base;
    let child = active.children.get(base);
    if (!child) active.children.set(base, (child = base.child(active.fields)));
    return child;
  };
  return new Proxy(base, {
    get(_target, property) {
      const target = current();
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Beats every heartbeatTimeout/3 until stopped or cancelled; nothing without a heartbeatTimeout. */
function keepHeartbeating(ctx: Context): () => void {
  const timeoutMs = ctx.info.heartbeatTimeoutMs;
  if (!timeoutMs || timeoutMs <= 0) return () => undefined;
  const beat = () => {
    try {
      ctx.heartbeat();
    } catch {
      // A beat that cannot be recorded (the activity is already ending) must not fail the work.
    }
  };
  beat();
  const timer = setInterval(beat, Math.max(MIN_HEARTBEAT_INTERVAL_MS, Math.floor(timeoutMs / 3)));
  const stop = () => clearInterval(timer);
  // Cancelled (by the workflow, a heartbeat timeout or shutdown): the server wants no more beats.
  ctx.cancellationSignal.addEventListener('abort', stop, { once: true });
  return stop;
}

/** The `type` label of a failure: its FailureType, else the error's class name. */
export function failureLabelOf(error: unknown): string {
  return failureTypeOf(error) ?? (error instanceof Error ? error.name : 'Error');
}

/**
 * The charterflow activity interceptor. Cancellations are not counted as failures: the run asked
 * for them (or the server gave up on a silent worker, which the SDK's own metrics show).
 */
export function charterActivityInterceptors(): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      execute: (input, next) =>
        scope.run({ fields: activityLogFields(ctx.info), children: new WeakMap() }, async () => {
          const stop = keepHeartbeating(ctx);
          try {
            return await next(input);
          } catch (error) {
            if (!ctx.cancellationSignal.aborted) {
              ctx.metricMeter
                .createCounter(
                  ACTIVITY_FAILURES_METRIC,
                  '1',
                  'Activity attempts that failed (label type: the failure type)',
                )
                .add(1, { type: failureLabelOf(error) });
            }
            throw error;
          } finally {
            stop();
          }
        }),
    },
  });
}
