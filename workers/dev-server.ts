// The Temporal CLI dev server's lifecycle, shared by `charterflow start` and the test suite.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { SearchAttributes } from '../workflows/contract.ts';
import { killOnParentExit, recentLines, waitForTemporalFrontend, watchChild } from './child-processes.ts';

export interface DevServerOptions {
  cliPath: string;
  /** gRPC port; 0 picks a free one. */
  port?: number;
  /** Web UI port; omitted or `headless: true` for none. */
  uiPort?: number;
  headless?: boolean;
  /** SQLite file; omitted = in memory. */
  dbFilename?: string;
  namespace?: string;
  readyTimeoutMs?: number;
  /** Extra `--dynamic-config-value K=JSON` pairs. */
  dynamicConfig?: Record<string, string | number | boolean>;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Remote codec endpoint the Web UI calls to show decoded payloads (`--ui-codec-endpoint`). */
  codecEndpoint?: string;
  /** Receives each line the server prints. */
  onLog?: (line: string) => void;
}

export interface RunningDevServer {
  address: string;
  uiUrl?: string;
  namespace: string;
  pid: number;
  /** The last lines the server printed (for error reports). */
  recentLogs(): string[];
  stop(): Promise<void>;
}

export class DevServerError extends Error {
  override name = 'DevServerError';
}

const HOST = '127.0.0.1';
const LOG_LINES_KEPT = 40;

export const BASE_DYNAMIC_CONFIG: Record<string, string | number | boolean> = {
  'frontend.enableUpdateWorkflowExecution': true,
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted': true,
  'frontend.enableExecuteMultiOperation': true,
  'system.enableActivityEagerExecution': true,
  // Task queues honour activity priorities (workflows/activity-options.ts) only with the new matcher.
  'matching.useNewMatcher': true,
};

export function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export function assertPortFree(port: number, what: string): Promise<void> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new DevServerError(
          error.code === 'EADDRINUSE'
            ? `${what} port ${port} on ${HOST} is already in use (another Temporal dev server or charterflow start?). Stop it or choose another port.`
            : `${what} port ${port}: ${error.message}`,
        ),
      ),
    );
    server.listen(port, HOST, () => server.close(() => resolvePort()));
  });
}

/** Registers any search attribute the namespace lacks (an existing SQLite file ignores `--search-attribute`). */
async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.values(SearchAttributes).filter((key) => !(key.name in (customAttributes ?? {})));
  if (missing.length === 0) return;
  const { IndexedValueType } = proto.temporal.api.enums.v1;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((key) => [key.name, IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]]),
    ),
  });
}

export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const namespace = options.namespace ?? 'default';
  const port = options.port || (await findFreePort());
  await assertPortFree(port, 'Temporal gRPC');
  const headless = options.headless ?? options.uiPort === undefined;
  const uiPort = headless ? undefined : options.uiPort || (await findFreePort());
  if (uiPort !== undefined) await assertPortFree(uiPort, 'Temporal Web UI');
  if (options.dbFilename) mkdirSync(dirname(options.dbFilename), { recursive: true });

  const args = ['server', 'start-dev', '--ip', HOST, '--port', String(port), '--namespace', namespace];
  args.push('--log-level', options.logLevel ?? 'warn', '--log-format', 'json');
  args.push(...(uiPort !== undefined ? ['--ui-port', String(uiPort)] : ['--headless']));
  if (options.dbFilename) args.push('--db-filename', options.dbFilename);
  if (options.codecEndpoint && uiPort !== undefined) args.push('--ui-codec-endpoint', options.codecEndpoint);
  for (const key of Object.values(SearchAttributes)) {
    const type = { KEYWORD: 'Keyword', INT: 'Int', DATETIME: 'Datetime' }[key.type as 'KEYWORD' | 'INT' | 'DATETIME'];
    args.push('--search-attribute', `${key.name}=${type}`);
  }
  for (const [key, value] of Object.entries({ ...BASE_DYNAMIC_CONFIG, ...options.dynamicConfig })) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }

  const output = recentLines(LOG_LINES_KEPT, { onLine: options.onLog });
  const server = watchChild(spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] }), output);
  const releaseExitHook = killOnParentExit(() => server.child);
  const stop = async () => {
    releaseExitHook();
    await server.stop('SIGTERM', 10_000);
  };

  const address = `${HOST}:${port}`;
  try {
    const connection = await waitForTemporalFrontend(
      address,
      Date.now() + (options.readyTimeoutMs ?? 60_000),
      () => {
        const reason = server.exitReason();
        return reason ? `Temporal dev server ${reason}` : undefined;
      },
      (reason) => new DevServerError(reason),
    );
    await ensureSearchAttributes(connection, namespace);
    await connection.close();
  } catch (error) {
    await stop();
    const detail = error instanceof Error ? error.message : String(error);
    const tail = output.lines().slice(-15).join('\n');
    throw new DevServerError(
      `Temporal dev server (${options.cliPath}) failed to start on ${address}: ${server.spawnError()?.message ?? detail}` +
        (tail ? `\nLast server log lines:\n${tail}` : ''),
    );
  }

  return {
    address,
    uiUrl: uiPort !== undefined ? `http://${HOST}:${uiPort}` : undefined,
    namespace,
    pid: server.child.pid!,
    recentLogs: output.lines,
    stop,
  };
}
