// What the launchers (the Temporal dev server, PostgreSQL, the cluster's Temporal server) need of the
// processes they own: the last lines they printed, why they ended, a stop that escalates to SIGKILL,
// no orphan when this process exits, and a wait until a Temporal frontend answers its health check.
import type { ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';

export interface RecentLines {
  /** Feeds a chunk of output; blank lines are dropped. */
  record(chunk: Buffer | string): void;
  lines(): string[];
}

export function recentLines(
  limit: number,
  options: { maxLineLength?: number; onLine?: (line: string) => void } = {},
): RecentLines {
  const kept: string[] = [];
  return {
    record(chunk) {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        const max = options.maxLineLength;
        kept.push(max !== undefined && line.length > max ? `${line.slice(0, max)}…` : line);
        if (kept.length > limit) kept.shift();
        options.onLine?.(line);
      }
    },
    lines: () => [...kept],
  };
}

export interface WatchedChild {
  readonly child: ChildProcess;
  /** Why the process is gone ("exited with code 1", "could not be started: …"); undefined while it runs. */
  exitReason(): string | undefined;
  /** The error that kept it from starting, if any. */
  spawnError(): Error | undefined;
  readonly exited: Promise<void>;
  /** Sends `signal`, then SIGKILL once `graceMs` has passed; resolves when the process has exited. */
  stop(signal: NodeJS.Signals, graceMs: number): Promise<void>;
}

export function watchChild(child: ChildProcess, output: RecentLines): WatchedChild {
  child.stdout?.on('data', (chunk: Buffer) => output.record(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.record(chunk));
  let reason: string | undefined;
  let startError: Error | undefined;
  const exited = new Promise<void>((resolveExit) => {
    child.once('exit', (code, signal) => {
      reason ??= `exited with ${signal ?? `code ${code}`}`;
      resolveExit();
    });
    child.once('error', (error) => {
      startError = error;
      reason = `could not be started: ${error.message}`;
      resolveExit();
    });
  });
  return {
    child,
    exitReason: () => reason,
    spawnError: () => startError,
    exited,
    async stop(signal, graceMs) {
      if (reason) return;
      child.kill(signal);
      const escalation = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(escalation);
    },
  };
}

/** SIGKILLs the current child if this process exits first; returns the function that stops doing so. */
export function killOnParentExit(current: () => ChildProcess | undefined): () => void {
  const kill = () => current()?.kill('SIGKILL');
  process.on('exit', kill);
  return () => process.removeListener('exit', kill);
}

/**
 * Connects to a Temporal frontend once its health check answers, or throws `failure(reason)` when
 * the process has ended (`exitReason`) or the deadline passes first.
 */
export async function waitForTemporalFrontend(
  address: string,
  deadline: number,
  exitReason: () => string | undefined,
  failure: (reason: string) => Error,
): Promise<Connection> {
  let lastError: unknown;
  while (Date.now() < deadline) {
    const exit = exitReason();
    if (exit) throw failure(exit);
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.healthService.check({});
      return connection;
    } catch (error) {
      lastError = error;
      await connection?.close().catch(() => undefined);
      await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    }
  }
  throw failure(
    `not ready within the deadline (${lastError instanceof Error ? lastError.message : String(lastError)})`,
  );
}
