// Finds or builds the Temporal CLI (the dev server). The SDK's own download needs the open
// internet, so we never rely on it: TEMPORAL_CLI_PATH, `temporal` on PATH, a cached build under
// .tools/, else `go install` from the Go module proxy into .tools/.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goInstall, goVersion } from './go-install.ts';

export const TEMPORAL_CLI_VERSION = '1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
const VERSION_LDFLAG = `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`;
const MIN_GO = [1, 25] as const;

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const TOOLS_DIR = join(PROJECT_ROOT, '.tools');
export const CACHED_CLI_PATH = join(TOOLS_DIR, 'temporal');

export class TemporalCliUnavailable extends Error {
  override name = 'TemporalCliUnavailable';
}

export interface EnsureOptions {
  env?: NodeJS.ProcessEnv;
  /** Progress lines (the build takes minutes cold). */
  progress?: (line: string) => void;
  /** Where a build goes; default .tools/temporal. */
  cachePath?: string;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `temporal --version` prints `temporal version 1.5.1 (Server …, UI …)`. */
export function cliVersion(path: string): string | undefined {
  const out = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  if (out.status !== 0) return undefined;
  return /temporal version (\S+)/.exec(out.stdout)?.[1];
}

function findAllOnPath(name: string, env: NodeJS.ProcessEnv): string[] {
  return (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .filter(isExecutable);
}

const HOW_TO_INSTALL = [
  'Install one of:',
  `  - Go ${MIN_GO.join('.')}+ (then re-run \`npm run temporal:ensure\`; it builds the CLI into .tools/), or`,
  `  - a Temporal CLI ${TEMPORAL_CLI_VERSION} binary, then set TEMPORAL_CLI_PATH=/path/to/temporal or put \`temporal\` on PATH.`,
  `Manual build: CGO_ENABLED=0 go install -ldflags "-s -w ${VERSION_LDFLAG}" ${TEMPORAL_CLI_MODULE}@v${TEMPORAL_CLI_VERSION}`,
].join('\n');

async function buildWithGo(env: NodeJS.ProcessEnv, target: string, progress: (line: string) => void): Promise<string> {
  const version = goVersion(env);
  if (!version) throw new TemporalCliUnavailable(`No Temporal CLI found and Go is not installed.\n${HOW_TO_INSTALL}`);
  const tooOld = version[0] < MIN_GO[0] || (version[0] === MIN_GO[0] && version[1] < MIN_GO[1]);
  if (tooOld && (env.GOTOOLCHAIN ?? '').startsWith('local')) {
    throw new TemporalCliUnavailable(`Go ${version.join('.')} is too old (the CLI needs Go ${MIN_GO.join('.')}+) and GOTOOLCHAIN=local forbids fetching a newer toolchain.\n${HOW_TO_INSTALL}`);
  }
  const buildDir = `${target}.build-${process.pid}`;
  mkdirSync(buildDir, { recursive: true });
  try {
    progress(`Building Temporal CLI ${TEMPORAL_CLI_VERSION} with Go ${version.join('.')} (first time only: a few minutes, ~1 GB of module cache)…`);
    const started = Date.now();
    const result = await goInstall({ packages: [`${TEMPORAL_CLI_MODULE}@v${TEMPORAL_CLI_VERSION}`], ldflags: `-s -w ${VERSION_LDFLAG}`, gobin: buildDir, env, progress });
    if (result.code !== 0) {
      const tail = result.output.trim().split('\n').slice(-15).join('\n');
      throw new TemporalCliUnavailable(`go install failed (exit ${result.code}):\n${tail}\n\n${HOW_TO_INSTALL}`);
    }
    renameSync(join(buildDir, 'temporal'), target);
    progress(`Built ${target} in ${Math.round((Date.now() - started) / 1000)} s.`);
    return target;
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
}

/** Resolves an executable Temporal CLI path, building it if needed. */
export async function ensureTemporalCli(options: EnsureOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const progress = options.progress ?? (() => {});
  const cachePath = options.cachePath ?? CACHED_CLI_PATH;

  const explicit = env.TEMPORAL_CLI_PATH?.trim();
  if (explicit) {
    const path = resolve(explicit);
    if (!isExecutable(path)) throw new TemporalCliUnavailable(`TEMPORAL_CLI_PATH points at ${path}, which is not an executable file.`);
    const version = cliVersion(path);
    if (version !== TEMPORAL_CLI_VERSION) progress(`Note: ${path} reports version ${version ?? 'unknown'}; charterflow is tested with ${TEMPORAL_CLI_VERSION}.`);
    return path;
  }

  for (const onPath of findAllOnPath('temporal', env)) {
    if (cliVersion(onPath) === TEMPORAL_CLI_VERSION) return onPath;
    progress(`Ignoring ${onPath}: not version ${TEMPORAL_CLI_VERSION}.`);
  }

  if (isExecutable(cachePath)) {
    if (cliVersion(cachePath) === TEMPORAL_CLI_VERSION) return cachePath;
    progress(`Cached ${cachePath} is not version ${TEMPORAL_CLI_VERSION}; rebuilding.`);
    rmSync(cachePath, { force: true });
  }
  mkdirSync(join(cachePath, '..'), { recursive: true });
  return buildWithGo(env, cachePath, progress);
}

export function cachedCliExists(): boolean {
  return existsSync(CACHED_CLI_PATH);
}
