// The Temporal server and its SQL tool for the production-shaped cluster (`npm run cluster`,
// test/cluster), built from the Go module proxy into .tools/ once, like the Temporal CLI.
//
// Version 1.29.1: it is the server that docker-compose.yml runs (temporalio/server:1.29.1) and the
// one embedded in the Temporal CLI 1.5.1 dev server every other tier uses, so all tiers test one
// server; and it builds with the machine's own Go (go.mod says 1.25.0), where 1.30+ would need a
// second Go toolchain (GOTOOLCHAIN=go1.27.3) in every shell, script and CI run.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { goInstall, goVersion } from '../go-install.ts';
import { TOOLS_DIR } from '../temporal-cli.ts';

export const TEMPORAL_SERVER_VERSION = '1.29.1';
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
const MIN_GO = [1, 25] as const;

export class TemporalServerUnavailable extends Error {
  override name = 'TemporalServerUnavailable';
}

export interface TemporalServerTools {
  version: string;
  /** `temporal-server` (cmd/server). */
  serverPath: string;
  /** `temporal-sql-tool` (cmd/tools/sql). */
  sqlToolPath: string;
}

export interface EnsureServerOptions {
  env?: NodeJS.ProcessEnv;
  progress?: (line: string) => void;
  /** Where the versioned build directory goes; default .tools/. */
  toolsDir?: string;
}

/** Where a build of `version` lives: one directory per version, so a version change rebuilds. */
export function serverToolsFor(version = TEMPORAL_SERVER_VERSION, toolsDir = TOOLS_DIR): TemporalServerTools {
  const dir = join(toolsDir, `temporal-server-${version}`);
  return { version, serverPath: join(dir, 'temporal-server'), sqlToolPath: join(dir, 'temporal-sql-tool') };
}

/** Returns the cached server and SQL tool, building both with one `go install` when missing. */
export async function ensureTemporalServer(options: EnsureServerOptions = {}): Promise<TemporalServerTools> {
  const env = options.env ?? process.env;
  const progress = options.progress ?? (() => {});
  const tools = serverToolsFor(TEMPORAL_SERVER_VERSION, options.toolsDir);
  if (existsSync(tools.serverPath) && existsSync(tools.sqlToolPath)) return tools;

  const version = goVersion(env);
  const manual = `Manual build: CGO_ENABLED=0 go install ${TEMPORAL_SERVER_MODULE}/cmd/server@v${TEMPORAL_SERVER_VERSION} ${TEMPORAL_SERVER_MODULE}/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`;
  if (!version)
    throw new TemporalServerUnavailable(
      `Go is not installed: the cluster tier builds the Temporal server ${TEMPORAL_SERVER_VERSION} from the Go module proxy.\n${manual}`,
    );
  if (version[0] < MIN_GO[0] || (version[0] === MIN_GO[0] && version[1] < MIN_GO[1])) {
    throw new TemporalServerUnavailable(
      `Go ${version.join('.')} is too old: the Temporal server ${TEMPORAL_SERVER_VERSION} needs Go ${MIN_GO.join('.')}+.\n${manual}`,
    );
  }
  const buildDir = `${join(tools.serverPath, '..')}.build-${process.pid}`;
  mkdirSync(buildDir, { recursive: true });
  try {
    progress(
      `Building Temporal server ${TEMPORAL_SERVER_VERSION} and temporal-sql-tool with Go ${version.join('.')} (first time only: several minutes)…`,
    );
    const started = Date.now();
    const result = await goInstall({
      packages: [
        `${TEMPORAL_SERVER_MODULE}/cmd/server@v${TEMPORAL_SERVER_VERSION}`,
        `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`,
      ],
      ldflags: '-s -w',
      gobin: buildDir,
      env,
      progress,
    });
    if (result.code !== 0) {
      const tail = result.output.trim().split('\n').slice(-15).join('\n');
      throw new TemporalServerUnavailable(
        `go install of the Temporal server failed (exit ${result.code}):\n${tail}\n${manual}`,
      );
    }
    const target = join(tools.serverPath, '..');
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    renameSync(join(buildDir, 'server'), tools.serverPath);
    renameSync(join(buildDir, 'sql'), tools.sqlToolPath);
    progress(`Built ${target} in ${Math.round((Date.now() - started) / 1000)} s.`);
    return tools;
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
}
