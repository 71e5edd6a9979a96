// The production-shaped Temporal deployment of docker-compose.yml, on this machine without Docker:
// PostgreSQL (Debian's packages) → schema (temporal-sql-tool) → Temporal server (built from the Go
// module, PostgreSQL visibility, deploy/temporal/dynamicconfig.yaml) → namespace and search
// attributes (operator API). charterflow's workers and webhook receiver join it through
// processes.ts.
import { ensureTemporalCli } from '../temporal-cli.ts';
import { startPostgres, type RunningPostgres } from './postgres.ts';
import { ensureTemporalServer, type TemporalServerTools } from './server-build.ts';
import {
  applySchema,
  setupNamespace,
  startTemporalServer,
  waitForSearchAttributes,
  type RunningTemporalServer,
} from './temporal-server.ts';

export interface ClusterOptions {
  namespace?: string;
  /** Frontend gRPC port; default a free one (never 7233, which a dev server may hold). */
  port?: number;
  progress?: (line: string) => void;
  serverLogLevel?: 'debug' | 'info' | 'warn' | 'error';
  env?: NodeJS.ProcessEnv;
}

/** Milliseconds each step took; `tools` includes any build. */
export interface ClusterTimings {
  toolsMs: number;
  postgresMs: number;
  schemaMs: number;
  serverMs: number;
  namespaceMs: number;
  totalMs: number;
}

export interface RunningCluster {
  address: string;
  namespace: string;
  cliPath: string;
  tools: TemporalServerTools;
  postgres: RunningPostgres;
  server: RunningTemporalServer;
  timings: ClusterTimings;
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions = {}): Promise<RunningCluster> {
  const progress = options.progress ?? (() => {});
  const namespace = options.namespace ?? 'default';
  const env = options.env ?? process.env;
  const began = Date.now();
  let mark = began;
  const lap = () => {
    const now = Date.now();
    const elapsed = now - mark;
    mark = now;
    return elapsed;
  };

  const cliPath = await ensureTemporalCli({ env, progress });
  const tools = await ensureTemporalServer({ env, progress });
  const toolsMs = lap();
  const postgres = await startPostgres();
  const postgresMs = lap();
  progress(`PostgreSQL ready on ${postgres.host}:${postgres.port} (${postgresMs} ms)`);
  let server: RunningTemporalServer | undefined;
  try {
    await applySchema(tools, postgres);
    const schemaMs = lap();
    progress(`Temporal schema applied with temporal-sql-tool (${schemaMs} ms)`);
    server = await startTemporalServer({
      tools,
      postgres,
      ...(options.port ? { port: options.port } : {}),
      logLevel: options.serverLogLevel ?? 'warn',
    });
    const serverMs = lap();
    progress(`Temporal server ${tools.version} ready on ${server.address} (${serverMs} ms)`);
    await setupNamespace(cliPath, server.address, namespace);
    await waitForSearchAttributes(server.address, namespace);
    const namespaceMs = lap();
    progress(`Namespace ${namespace} and search attributes ready (${namespaceMs} ms)`);
    const running = server;
    return {
      address: server.address,
      namespace,
      cliPath,
      tools,
      postgres,
      server,
      timings: { toolsMs, postgresMs, schemaMs, serverMs, namespaceMs, totalMs: Date.now() - began },
      stop: async () => {
        await running.stop();
        await postgres.stop();
      },
    };
  } catch (error) {
    await server?.stop();
    await postgres.stop();
    throw error;
  }
}
