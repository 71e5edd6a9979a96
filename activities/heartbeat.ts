// Heartbeats while an activity waits on a partner: with a heartbeatTimeout, a worker that dies
// mid-call is detected in seconds instead of at startToCloseTimeout, and a cancellation reaches
// the activity (through its cancellationSignal) while the call is still in flight.
import { Context } from '@temporalio/activity';

/** Never heartbeat more often than this, whatever the timeout (the SDK throttles anyway). */
const MIN_INTERVAL_MS = 50;

/** The running activity's context, or undefined outside one (unit code calling activities directly). */
function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Records a heartbeat when running inside an activity; a no-op anywhere else. */
export function heartbeatIfInActivity(details?: unknown): void {
  currentContext()?.heartbeat(details);
}

/**
 * Runs `work` and heartbeats every heartbeatTimeout/3 until it settles; `details` (optional) go with
 * each beat. Outside an activity, or in one scheduled without a heartbeatTimeout, it only runs `work`.
 */
export async function heartbeatWhile<T>(work: Promise<T> | (() => Promise<T>), details?: unknown): Promise<T> {
  const context = currentContext();
  const timeoutMs = context?.info.heartbeatTimeoutMs;
  const promise = typeof work === 'function' ? work() : work;
  if (!context || !timeoutMs || timeoutMs <= 0) return promise;
  const beat = () => {
    try {
      context.heartbeat(details);
    } catch {
      // A beat that cannot be recorded (activity already ending) must not fail the work.
    }
  };
  beat();
  const timer = setInterval(beat, Math.max(MIN_INTERVAL_MS, Math.floor(timeoutMs / 3)));
  try {
    return await promise;
  } finally {
    clearInterval(timer);
  }
}
