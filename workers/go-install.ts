// `go install` from the Go module proxy into a given directory, shared by the Temporal CLI build
// (workers/temporal-cli.ts) and the Temporal server build of the cluster tier (workers/cluster/).
import { spawn, spawnSync } from 'node:child_process';

export interface GoInstallOptions {
  /** Package paths with their version, e.g. `go.temporal.io/server/cmd/server@v1.29.1`. */
  packages: string[];
  /** Linker flags, e.g. `-s -w -X …`. */
  ldflags: string;
  /** Where the binaries go (GOBIN). */
  gobin: string;
  env: NodeJS.ProcessEnv;
  progress: (line: string) => void;
}

export interface GoInstallResult {
  code: number;
  output: string;
}

/** `go env GOVERSION` as [major, minor], or undefined when Go is missing. */
export function goVersion(env: NodeJS.ProcessEnv): [number, number] | undefined {
  const out = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8', env, timeout: 30_000 });
  const match = out.status === 0 ? /go(\d+)\.(\d+)/.exec(out.stdout) : null;
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

function runOnce(options: GoInstallOptions, env: NodeJS.ProcessEnv): Promise<GoInstallResult> {
  return new Promise((resolvePromise) => {
    const child = spawn('go', ['install', '-trimpath', '-ldflags', options.ldflags, ...options.packages], {
      env: { ...env, CGO_ENABLED: '0', GOBIN: options.gobin, GOFLAGS: '-mod=mod' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const started = Date.now();
    const ticker = setInterval(
      () => options.progress(`  … still building (${Math.round((Date.now() - started) / 1000)} s)`),
      30_000,
    );
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-20_000);
      for (const line of text.split('\n')) if (line.trim()) options.progress(`  ${line.trim()}`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) => {
      clearInterval(ticker);
      resolvePromise({ code: -1, output: `${output}\n${error.message}` });
    });
    child.on('close', (code) => {
      clearInterval(ticker);
      resolvePromise({ code: code ?? -1, output });
    });
  });
}

/**
 * Runs `go install` (CGO off, trimmed paths). Machines that reach only the module proxy cannot
 * consult the checksum database: on a verification failure it retries once with GOSUMDB=off,
 * modules still coming from the configured GOPROXY.
 */
export async function goInstall(options: GoInstallOptions): Promise<GoInstallResult> {
  const result = await runOnce(options, options.env);
  if (result.code === 0 || !/verifying|checksum database|SECURITY ERROR/i.test(result.output)) return result;
  options.progress(
    'Checksum database unreachable; retrying with GOSUMDB=off (modules still come from the configured GOPROXY).',
  );
  return runOnce(options, { ...options.env, GOSUMDB: 'off', GONOSUMDB: '*' });
}
