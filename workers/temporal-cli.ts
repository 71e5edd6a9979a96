// Finds or builds the Temporal CLI (the dev server). The SDK's own download needs the open
// internet, so we never rely on it: TEMPORAL_CLI_PATH, `temporal` on PATH, a cached build under
// .tools/, else `go install` from the Go module proxy into .tools/.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goInstall, goVersion } from './go-install.ts';

/** The version built from the Go module proxy when no CLI is found (the newest one the proxy builds). */
export const TEMPORAL_CLI_VERSION = '1.5.1';
/**
 * The oldest CLI accepted. Its dev server (Temporal Server 1.29.1) has everything this code uses:
 * update-with-start, user metadata (summary/details), task-queue priorities with the new matcher, and
 * Worker Deployment versioning with the deploymentName/buildId API of SDK 1.24 — and 1.5.1 is the
 * oldest release verified here (the module proxy serves 1.1.1, 1.5.1 and 1.9.1 only). Newer CLIs
 * (Homebrew, release binaries) are accepted: their flags for start-dev are a superset.
 */
export const MIN_TEMPORAL_CLI_VERSION = '1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
const VERSION_LDFLAG = `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`;
const MIN_GO = [1, 25] as const;

// The package root (holds package.json), from workers/ in a source checkout or dist/workers/ compiled.
export const PROJECT_ROOT = resolve(
  fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '..' : '../..', import.meta.url)),
);
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
  const line = cliVersionLine(path);
  return line ? /temporal version (\S+)/.exec(line)?.[1] : undefined;
}

/** The whole version line, e.g. `temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)`. */
export function cliVersionLine(path: string): string | undefined {
  const out = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  if (out.status !== 0) return undefined;
  return out.stdout
    .split('\n')
    .find((line) => line.startsWith('temporal version'))
    ?.trim();
}

/** True for 1.5.1 and anything newer (1.5.2, 1.9.1, 2.0.0, 1.10.0-rc.1); false for older or unparsable versions. */
export function isAtLeastMinimum(version: string | undefined, minimum: string = MIN_TEMPORAL_CLI_VERSION): boolean {
  const parts = (text: string) => /^v?(\d+)\.(\d+)\.(\d+)/.exec(text)?.slice(1).map(Number);
  const have = version ? parts(version) : undefined;
  const need = parts(minimum)!;
  if (!have) return false;
  for (let i = 0; i < 3; i++) if (have[i] !== need[i]) return have[i]! > need[i]!;
  return true;
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
  `  - a Temporal CLI ${MIN_TEMPORAL_CLI_VERSION} or newer (Homebrew, the release binary), then set TEMPORAL_CLI_PATH=/path/to/temporal or put \`temporal\` on PATH.`,
  `Manual build: CGO_ENABLED=0 go install -ldflags "-s -w ${VERSION_LDFLAG}" ${TEMPORAL_CLI_MODULE}@v${TEMPORAL_CLI_VERSION}`,
].join('\n');

async function buildWithGo(env: NodeJS.ProcessEnv, target: string, progress: (line: string) => void): Promise<string> {
  const version = goVersion(env);
  if (!version) throw new TemporalCliUnavailable(`No Temporal CLI found and Go is not installed.\n${HOW_TO_INSTALL}`);
  const tooOld = version[0] < MIN_GO[0] || (version[0] === MIN_GO[0] && version[1] < MIN_GO[1]);
  if (tooOld && (env.GOTOOLCHAIN ?? '').startsWith('local')) {
    throw new TemporalCliUnavailable(
      `Go ${version.join('.')} is too old (the CLI needs Go ${MIN_GO.join('.')}+) and GOTOOLCHAIN=local forbids fetching a newer toolchain.\n${HOW_TO_INSTALL}`,
    );
  }
  const buildDir = `${target}.build-${process.pid}`;
  mkdirSync(buildDir, { recursive: true });
  try {
    progress(
      `Building Temporal CLI ${TEMPORAL_CLI_VERSION} with Go ${version.join('.')} (first time only: a few minutes, ~1 GB of module cache)…`,
    );
    const started = Date.now();
    const result = await goInstall({
      packages: [`${TEMPORAL_CLI_MODULE}@v${TEMPORAL_CLI_VERSION}`],
      ldflags: `-s -w ${VERSION_LDFLAG}`,
      gobin: buildDir,
      env,
      progress,
    });
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

export interface ResolvedTemporalCli {
  path: string;
  /** e.g. 1.9.1; undefined when the binary does not say (a custom build). */
  version?: string;
  /** `temporal --version`, naming the server and UI versions inside. */
  versionLine?: string;
  source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'built';
}

/** Resolves an executable Temporal CLI path, building it if needed; `progress` reports which one is used. */
export async function ensureTemporalCli(options: EnsureOptions = {}): Promise<string> {
  return (await resolveTemporalCli(options)).path;
}

export async function resolveTemporalCli(options: EnsureOptions = {}): Promise<ResolvedTemporalCli> {
  const progress = options.progress ?? (() => {});
  const found = await findOrBuild(options, progress);
  const versionLine = cliVersionLine(found.path);
  const resolved = {
    ...found,
    ...(versionLine ? { versionLine, version: /temporal version (\S+)/.exec(versionLine)?.[1] } : {}),
  };
  progress(
    `Using ${versionLine ?? 'a Temporal CLI of unknown version'} at ${resolved.path} (${describeSource(resolved.source)}).`,
  );
  return resolved;
}

function describeSource(source: ResolvedTemporalCli['source']): string {
  return {
    TEMPORAL_CLI_PATH: 'TEMPORAL_CLI_PATH',
    PATH: 'found on PATH',
    cache: 'cached build in .tools/',
    built: 'just built',
  }[source];
}

async function findOrBuild(
  options: EnsureOptions,
  progress: (line: string) => void,
): Promise<Pick<ResolvedTemporalCli, 'path' | 'source'>> {
  const env = options.env ?? process.env;
  const cachePath = options.cachePath ?? CACHED_CLI_PATH;
  const tooOld = (version: string | undefined) =>
    `version ${version ?? 'unknown'}, older than the minimum ${MIN_TEMPORAL_CLI_VERSION}`;

  const explicit = env.TEMPORAL_CLI_PATH?.trim();
  if (explicit) {
    const path = resolve(explicit);
    if (!isExecutable(path))
      throw new TemporalCliUnavailable(`TEMPORAL_CLI_PATH points at ${path}, which is not an executable file.`);
    const version = cliVersion(path);
    // A binary that reports no release (a development build) is the user's explicit choice: use it.
    if (version && !isAtLeastMinimum(version) && !version.startsWith('0.0.0')) {
      throw new TemporalCliUnavailable(
        `TEMPORAL_CLI_PATH points at ${path}: ${tooOld(version)}. Install Temporal CLI ${MIN_TEMPORAL_CLI_VERSION} or newer.`,
      );
    }
    return { path, source: 'TEMPORAL_CLI_PATH' };
  }

  for (const onPath of findAllOnPath('temporal', env)) {
    const version = cliVersion(onPath);
    if (isAtLeastMinimum(version)) return { path: onPath, source: 'PATH' };
    progress(`Ignoring ${onPath}: ${tooOld(version)}.`);
  }

  if (isExecutable(cachePath)) {
    const version = cliVersion(cachePath);
    if (isAtLeastMinimum(version)) return { path: cachePath, source: 'cache' };
    progress(`Cached ${cachePath} is ${tooOld(version)}; rebuilding.`);
    rmSync(cachePath, { force: true });
  }
  mkdirSync(join(cachePath, '..'), { recursive: true });
  return { path: await buildWithGo(env, cachePath, progress), source: 'built' };
}

export function cachedCliExists(): boolean {
  return existsSync(CACHED_CLI_PATH);
}
