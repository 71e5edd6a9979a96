// The Temporal server of the production-shaped cluster: schema, process and namespace, each through
// the same files docker-compose.yml uses (deploy/temporal/): the server config template
// (server/charterflow.yaml), the dynamic config, setup-schema.sh (temporal-sql-tool) and
// setup-namespace.sh (namespace and search attributes through the operator API).
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_FLAGS, SearchAttributes } from '../../workflows/contract.ts';
import {
  killOnParentExit,
  recentLines,
  waitForTemporalFrontend,
  watchChild,
  type WatchedChild,
} from '../child-processes.ts';
import { findFreePort } from '../dev-server.ts';
import { PROJECT_ROOT } from '../temporal-cli.ts';
import type { RunningPostgres } from './postgres.ts';
import type { TemporalServerTools } from './server-build.ts';

export const DEPLOY_DIR = join(PROJECT_ROOT, 'deploy', 'temporal');
export const SERVER_CONFIG_DIR = join(DEPLOY_DIR, 'server');
/** `--env charterflow` makes the server load server/charterflow.yaml. */
export const SERVER_CONFIG_ENV = 'charterflow';
export const DYNAMIC_CONFIG_FILE = join(DEPLOY_DIR, 'dynamicconfig.yaml');
export const SETUP_SCHEMA_SCRIPT = join(DEPLOY_DIR, 'setup-schema.sh');
export const SETUP_NAMESPACE_SCRIPT = join(DEPLOY_DIR, 'setup-namespace.sh');

const HOST = '127.0.0.1';
/** `temporal-server` arguments; docker-compose.yml runs the same with its mount of deploy/temporal/ as root. */
export const SERVER_ARGS = [
  '--root',
  DEPLOY_DIR,
  '--config',
  'server',
  '--env',
  SERVER_CONFIG_ENV,
  '--allow-no-auth',
  'start',
];

export class ClusterSetupFailed extends Error {
  override name = 'ClusterSetupFailed';
}

/** Runs a deploy/temporal/ script with only the environment it needs; rejects with its output. */
function runScript(script: string, env: Record<string, string>, what: string): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn('/bin/sh', [script], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (error) => reject(new ClusterSetupFailed(`${what}: ${error.message}`)));
    child.once('close', (code) =>
      code === 0
        ? resolveRun(output)
        : reject(new ClusterSetupFailed(`${what} failed (exit ${code}):\n${output.trim()}`)),
    );
  });
}

/** Creates both databases and applies every schema version with temporal-sql-tool. */
export function applySchema(tools: TemporalServerTools, postgres: RunningPostgres): Promise<string> {
  return runScript(
    SETUP_SCHEMA_SCRIPT,
    {
      SQL_HOST: postgres.host,
      SQL_PORT: String(postgres.port),
      SQL_USER: postgres.user,
      SQL_PASSWORD: postgres.password,
      TEMPORAL_SQL_TOOL: tools.sqlToolPath,
    },
    'schema setup (deploy/temporal/setup-schema.sh)',
  );
}

/** Creates the namespace and registers the contract's search attributes through the operator API. */
export function setupNamespace(cliPath: string, address: string, namespace: string): Promise<string> {
  return runScript(
    SETUP_NAMESPACE_SCRIPT,
    {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      SEARCH_ATTRIBUTES: SEARCH_ATTRIBUTE_FLAGS.join(' '),
      TEMPORAL_CLI: cliPath,
    },
    'namespace setup (deploy/temporal/setup-namespace.sh)',
  );
}

/**
 * Resolves once a visibility query naming every custom search attribute is accepted: the
 * frontend's namespace registry refreshes on its own schedule after registration.
 */
export async function waitForSearchAttributes(address: string, namespace: string, timeoutMs = 60_000): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace });
    const query = Object.values(SearchAttributes)
      .map((key) => `${key.name} IS NOT NULL`)
      .join(' OR ');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await client.workflow.count(query);
        return;
      } catch (error) {
        if (Date.now() > deadline)
          throw new ClusterSetupFailed(
            `search attributes not queryable within ${timeoutMs} ms: ${error instanceof Error ? error.message : String(error)}`,
          );
        await new Promise((resolveWait) => setTimeout(resolveWait, 250));
      }
    }
  } finally {
    await connection.close();
  }
}

export interface TemporalServerOptions {
  tools: TemporalServerTools;
  postgres: RunningPostgres;
  /** Frontend gRPC port; default a free one. */
  port?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  readyTimeoutMs?: number;
  onLog?: (line: string) => void;
}

export interface RunningTemporalServer {
  address: string;
  pid(): number;
  recentLogs(): string[];
  /** Stops the process (SIGTERM, then SIGKILL after 20 s) and starts it again on the same ports and databases. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const SERVICES = ['FRONTEND', 'MATCHING', 'HISTORY', 'WORKER'] as const;

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const probe = createServer();
    probe.once('error', () => resolveFree(false));
    probe.listen(port, HOST, () => probe.close(() => resolveFree(true)));
  });
}

/**
 * A free port below 32768: the SQL schema stores membership ports as smallint, so the kernel's
 * ephemeral range (32768+) that port 0 hands out is refused by the server at start.
 */
async function findFreeMembershipPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 20_000 + randomInt(12_000);
    if (!taken.has(port) && (await portIsFree(port))) return port;
  }
  throw new ClusterSetupFailed('no free port between 20000 and 32000 for Temporal membership');
}

async function serverPorts(frontendPort?: number): Promise<Record<string, string>> {
  const ports: Record<string, string> = {
    FRONTEND_GRPC_PORT: String(frontendPort ?? (await findFreePort())),
    FRONTEND_HTTP_PORT: String(await findFreePort()),
  };
  const taken = new Set<number>();
  for (const service of SERVICES) {
    if (service !== 'FRONTEND') ports[`${service}_GRPC_PORT`] = String(await findFreePort());
    const membership = await findFreeMembershipPort(taken);
    taken.add(membership);
    ports[`${service}_MEMBERSHIP_PORT`] = String(membership);
  }
  return ports;
}

/**
 * The variables server/charterflow.yaml reads, as the launcher sets them (docker-compose.yml sets
 * the same names for its container; test/compose checks both cover every variable without a default).
 */
export function serverEnvironment(
  ports: Record<string, string>,
  postgres: Pick<RunningPostgres, 'host' | 'port' | 'user' | 'password'>,
  logLevel: string,
): Record<string, string> {
  return {
    ...ports,
    BIND_ON_IP: HOST,
    TEMPORAL_BROADCAST_ADDRESS: HOST,
    POSTGRES_SEEDS: postgres.host,
    DB_PORT: String(postgres.port),
    POSTGRES_USER: postgres.user,
    POSTGRES_PASSWORD: postgres.password,
    DYNAMIC_CONFIG_FILE_PATH: DYNAMIC_CONFIG_FILE,
    TEMPORAL_LOG_LEVEL: logLevel,
  };
}

/** Starts `temporal-server start` with deploy/temporal/server/charterflow.yaml; resolves when the frontend is healthy. */
export async function startTemporalServer(options: TemporalServerOptions): Promise<RunningTemporalServer> {
  const ports = await serverPorts(options.port);
  const address = `${HOST}:${ports.FRONTEND_GRPC_PORT}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    ...serverEnvironment(ports, options.postgres, options.logLevel ?? 'warn'),
  };
  // Server log lines carry whole stack traces: keep the message end of each.
  const output = recentLines(60, { maxLineLength: 600, onLine: options.onLog });
  let server: WatchedChild | undefined;
  const releaseExitHook = killOnParentExit(() => server?.child);
  const halt = async () => server?.stop('SIGTERM', 20_000);
  const launch = async () => {
    const started = watchChild(
      spawn(options.tools.serverPath, SERVER_ARGS, { env, stdio: ['ignore', 'pipe', 'pipe'] }),
      output,
    );
    server = started;
    try {
      const connection = await waitForTemporalFrontend(
        address,
        Date.now() + (options.readyTimeoutMs ?? 90_000),
        () => {
          const reason = started.exitReason();
          return reason ? `Temporal server ${reason}` : undefined;
        },
        (reason) => new ClusterSetupFailed(reason),
      );
      await connection.close();
    } catch (error) {
      await halt();
      throw new ClusterSetupFailed(
        `${error instanceof Error ? error.message : String(error)}\nLast server log lines:\n${output.lines().slice(-20).join('\n')}`,
      );
    }
  };

  await launch();
  return {
    address,
    pid: () => server?.child.pid ?? -1,
    recentLogs: output.lines,
    restart: async () => {
      await halt();
      await launch();
    },
    stop: async () => {
      releaseExitHook();
      await halt();
    },
  };
}
