// The Temporal a soak runs against, restartable mid-run:
// - `dev`: the Temporal CLI dev server with a persistent SQLite file (the `npm start` shape);
// - `cluster`: the production-shaped cluster of workers/cluster/ (PostgreSQL, server built from the module).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../../workers/cluster/cluster.ts';
import { findFreePort, startDevServer, type RunningDevServer } from '../../workers/dev-server.ts';
import { ensureTemporalCli } from '../../workers/temporal-cli.ts';

export const SOAK_PROFILES = ['dev', 'cluster'] as const;
export type SoakProfile = (typeof SOAK_PROFILES)[number];

export interface SoakTemporal {
  profile: SoakProfile;
  address: string;
  namespace: string;
  /** What the table says about the server. */
  description: string;
  /** Secrets of the deployment itself, scanned for like the Avinode ones. */
  secrets: string[];
  /** Stops the server process and starts it again on the same address and storage. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const progress = (line: string) => process.stderr.write(`[soak] ${line}\n`);

export async function startSoakTemporal(profile: SoakProfile): Promise<SoakTemporal> {
  if (profile === 'cluster') {
    const cluster = await startCluster({ progress });
    return {
      profile,
      address: cluster.address,
      namespace: cluster.namespace,
      description: `Temporal server ${cluster.tools.version} on PostgreSQL (PostgreSQL visibility), started in ${cluster.timings.totalMs} ms`,
      secrets: [cluster.postgres.password],
      restart: () => cluster.server.restart(),
      stop: () => cluster.stop(),
    };
  }
  const cliPath = await ensureTemporalCli({ progress });
  const dir = mkdtempSync(join(tmpdir(), 'charterflow-soak-'));
  const port = await findFreePort();
  const options = { cliPath, port, headless: true, dbFilename: join(dir, 'temporal.sqlite'), readyTimeoutMs: 90_000 };
  let server: RunningDevServer = await startDevServer(options);
  return {
    profile,
    address: server.address,
    namespace: server.namespace,
    description: 'Temporal CLI dev server (SQLite file)',
    secrets: [],
    restart: async () => {
      await server.stop();
      server = await startDevServer(options);
    },
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
