// A throw-away PostgreSQL server from Debian's packages (`apt-get install postgresql`): initdb into
// a temporary data directory, then `postgres` on a free loopback port as a child process. Runs as
// the `postgres` system user when started by root (PostgreSQL refuses to run as root).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killOnParentExit, recentLines, watchChild } from '../child-processes.ts';
import { findFreePort } from '../dev-server.ts';

export class PostgresUnavailable extends Error {
  override name = 'PostgresUnavailable';
}

export interface PostgresOptions {
  /** Default: a free port on 127.0.0.1. */
  port?: number;
  /** Data directory; default a new temporary one, removed by stop(). */
  dataDir?: string;
  /** Directory of initdb/postgres; default the newest /usr/lib/postgresql/<major>/bin (or POSTGRES_BIN_DIR). */
  binDir?: string;
  user?: string;
  readyTimeoutMs?: number;
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  host: string;
  port: number;
  user: string;
  /** Generated for this server; hand it on through the environment only. */
  password: string;
  dataDir: string;
  pid: number;
  recentLogs(): string[];
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const INSTALL_HINT = "Install PostgreSQL from Debian's packages: apt-get update && apt-get install -y postgresql";

export function findPostgresBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.POSTGRES_BIN_DIR?.trim();
  if (explicit) {
    if (!existsSync(join(explicit, 'initdb')))
      throw new PostgresUnavailable(`POSTGRES_BIN_DIR=${explicit} has no initdb.`);
    return explicit;
  }
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length === 0) throw new PostgresUnavailable(`No PostgreSQL server found under ${root}. ${INSTALL_HINT}`);
  return join(root, majors[0]!, 'bin');
}

/** uid/gid to run as: the `postgres` system user when we are root, else ourselves. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0)
    throw new PostgresUnavailable(
      `Running as root, but there is no "postgres" user to run PostgreSQL as. ${INSTALL_HINT}`,
    );
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export async function startPostgres(options: PostgresOptions = {}): Promise<RunningPostgres> {
  const binDir = options.binDir ?? findPostgresBinDir();
  const identity = runAs();
  const ownsDataDir = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'charterflow-postgres-'));
  const user = options.user ?? 'temporal';
  const password = randomBytes(18).toString('base64url');
  const port = options.port ?? (await findFreePort());
  const chown = (path: string) => identity && chownSync(path, identity.uid, identity.gid);
  const spawnAs = {
    ...(identity ?? {}),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: dataDir },
  };

  mkdirSync(dataDir, { recursive: true });
  chmodSync(dataDir, 0o700);
  chown(dataDir);
  const pgdata = join(dataDir, 'data');
  if (!existsSync(join(pgdata, 'PG_VERSION'))) {
    // The password reaches initdb through a file readable by the server's user only, then goes.
    const passwordFile = join(dataDir, 'initdb-password');
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    chown(passwordFile);
    const init = spawnSync(
      join(binDir, 'initdb'),
      [
        '--pgdata',
        pgdata,
        '--username',
        user,
        '--pwfile',
        passwordFile,
        '--auth',
        'scram-sha-256',
        '--encoding',
        'UTF8',
        '--locale',
        'C.UTF-8',
        '--no-instructions',
      ],
      { ...spawnAs, encoding: 'utf8' },
    );
    rmSync(passwordFile, { force: true });
    if (init.status !== 0)
      throw new PostgresUnavailable(
        `initdb failed (exit ${init.status ?? init.signal}):\n${(init.stderr || init.stdout || String(init.error)).trim()}`,
      );
  } else if (!options.dataDir) {
    throw new PostgresUnavailable(`${pgdata} already holds a cluster`);
  }

  const output = recentLines(40, { onLine: options.onLog });
  const server = watchChild(
    spawn(
      join(binDir, 'postgres'),
      [
        '-D',
        pgdata,
        '-c',
        `listen_addresses=${HOST}`,
        '-c',
        `port=${port}`,
        '-c',
        `unix_socket_directories=${dataDir}`,
        '-c',
        'max_connections=200',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
      ],
      { ...spawnAs, stdio: ['ignore', 'pipe', 'pipe'] },
    ),
    output,
  );
  const releaseExitHook = killOnParentExit(() => server.child);
  const stop = async () => {
    releaseExitHook();
    await server.stop('SIGINT', 15_000); // "fast" shutdown: roll back open transactions, then exit
    if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    const exitReason = server.exitReason();
    if (exitReason) {
      await stop();
      throw new PostgresUnavailable(`PostgreSQL ${exitReason}:\n${output.lines().slice(-15).join('\n')}`);
    }
    const ready = spawnSync(
      join(binDir, 'pg_isready'),
      ['-h', HOST, '-p', String(port), '-U', user, '-d', 'postgres', '-q'],
      { timeout: 5_000 },
    );
    if (ready.status === 0) break;
    if (Date.now() > deadline) {
      await stop();
      throw new PostgresUnavailable(
        `PostgreSQL not ready on ${HOST}:${port} within the deadline:\n${output.lines().slice(-15).join('\n')}`,
      );
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }

  return { host: HOST, port, user, password, dataDir, pid: server.child.pid!, recentLogs: output.lines, stop };
}
