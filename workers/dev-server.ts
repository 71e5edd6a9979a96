// The Temporal CLI dev server's lifecycle, shared by `charterflow start` and the test suite.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { SearchAttributes } from '../workflows/contract.ts';

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

async function waitForFrontend(address: string, deadline: number, exited: () => string | undefined): Promise<Connection> {
  let lastError: unknown;
  while (Date.now() < deadline) {
    const exit = exited();
    if (exit) throw new DevServerError(exit);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.healthService.check({});
      return connection;
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new DevServerError(`not ready within the deadline (${lastError instanceof Error ? lastError.message : String(lastError)})`);
}

/** Registers any search attribute the namespace lacks (an existing SQLite file ignores `--search-attribute`). */
async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.values(SearchAttributes).filter((key) => !(key.name in (customAttributes ?? {})));
  if (missing.length === 0) return;
  const { IndexedValueType } = proto.temporal.api.enums.v1;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]])),
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

  const logs: string[] = [];
  const child: ChildProcess = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const record = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      logs.push(line);
      if (logs.length > LOG_LINES_KEPT) logs.shift();
      options.onLog?.(line);
    }
  };
  child.stdout?.on('data', record);
  child.stderr?.on('data', record);
  let exitInfo: string | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolveExit) => {
    child.on('exit', (code, signal) => {
      exitInfo = `exited with ${signal ?? `code ${code}`}`;
      resolveExit();
    });
    child.on('error', (error) => {
      spawnError = error;
      exitInfo = `could not be started: ${error.message}`;
      resolveExit();
    });
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (exitInfo) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  const address = `${HOST}:${port}`;
  try {
    const connection = await waitForFrontend(address, Date.now() + (options.readyTimeoutMs ?? 60_000), () =>
      exitInfo ? `Temporal dev server ${exitInfo}` : undefined,
    );
    await ensureSearchAttributes(connection, namespace);
    await connection.close();
  } catch (error) {
    await stop();
    const detail = error instanceof Error ? error.message : String(error);
    const tail = logs.slice(-15).join('\n');
    throw new DevServerError(
      `Temporal dev server (${options.cliPath}) failed to start on ${address}: ${spawnError ? spawnError.message : detail}` +
        (tail ? `\nLast server log lines:\n${tail}` : ''),
    );
  }

  return {
    address,
    uiUrl: uiPort !== undefined ? `http://${HOST}:${uiPort}` : undefined,
    namespace,
    pid: child.pid!,
    recentLogs: () => [...logs],
    stop,
  };
}
