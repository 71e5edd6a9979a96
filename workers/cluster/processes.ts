// charterflow's own processes in the cluster: the webhook receiver and the workers, each a real
// `charterflow …` child process that can be killed (SIGKILL included) and started again.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { findFreePort } from '../dev-server.ts';
import { PROJECT_ROOT } from '../temporal-cli.ts';

const BIN = join(PROJECT_ROOT, 'bin', 'charterflow.js');

export class ProcessNotReady extends Error {
  override name = 'ProcessNotReady';
}

export interface ManagedProcess {
  readonly name: string;
  /** The JSON line that announced readiness (e.g. `{"event":"listening","url":…}`). */
  readonly announcement: Record<string, unknown>;
  pid(): number;
  /** Times the process was started (1 after the first start). */
  starts(): number;
  running(): boolean;
  /** Sends `signal` and resolves once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts it again with the same arguments and environment; resolves when it is ready. */
  restart(): Promise<void>;
  recentOutput(): string;
}

export interface CharterflowProcessOptions {
  name: string;
  /** Arguments of `charterflow`, e.g. ['worker', '--no-webhook-registration']. */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Which stdout JSON event means ready: `ready` (worker) or `listening` (servers). */
  readyEvent: 'ready' | 'listening';
  readyTimeoutMs?: number;
  /** Every output line, for logs or secret scans. */
  onOutput?: (name: string, line: string) => void;
}

/** Starts `charterflow <args>` and resolves when it prints its ready line. */
export async function startCharterflowProcess(options: CharterflowProcessOptions): Promise<ManagedProcess> {
  let child: ChildProcess | undefined;
  let starts = 0;
  let output = '';
  let announcement: Record<string, unknown> = {};
  const killOnExit = () => child?.kill('SIGKILL');
  process.on('exit', killOnExit);

  const launch = () =>
    new Promise<void>((resolveReady, reject) => {
      const started = spawn(process.execPath, [BIN, ...options.args], {
        env: options.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      starts += 1;
      let pending = '';
      let ready = false;
      const timer = setTimeout(() => {
        started.kill('SIGKILL');
        reject(
          new ProcessNotReady(
            `${options.name} not ready in ${options.readyTimeoutMs ?? 90_000} ms:\n${output.slice(-3_000)}`,
          ),
        );
      }, options.readyTimeoutMs ?? 90_000);
      const onLine = (line: string) => {
        output = `${output}${line}\n`.slice(-20_000);
        options.onOutput?.(options.name, line);
        if (ready || !line.startsWith('{')) return;
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          if (parsed.event === options.readyEvent) {
            ready = true;
            announcement = parsed;
            clearTimeout(timer);
            resolveReady();
          }
        } catch {
          // A log line that is not an announcement.
        }
      };
      started.stdout!.on('data', (chunk: Buffer) => {
        const lines = (pending + chunk.toString()).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      });
      started.stderr!.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) if (line.trim()) onLine(line);
      });
      started.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (!ready)
          reject(
            new ProcessNotReady(
              `${options.name} exited with ${signal ?? `code ${code}`} before it was ready:\n${output.slice(-3_000)}`,
            ),
          );
      });
    });

  const kill = (signal: NodeJS.Signals) =>
    new Promise<void>((resolveKill) => {
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return resolveKill();
      current.once('exit', () => resolveKill());
      current.kill(signal);
    });

  await launch();
  return {
    name: options.name,
    get announcement() {
      return announcement;
    },
    pid: () => child?.pid ?? -1,
    starts: () => starts,
    running: () => !!child && child.exitCode === null && child.signalCode === null,
    kill,
    restart: async () => {
      await kill('SIGKILL');
      await launch();
    },
    recentOutput: () => output,
  };
}

export interface CharterflowFleet {
  webhooks: ManagedProcess;
  /** The webhook receiver's base URL (`http://127.0.0.1:<port>`). */
  webhookUrl: string;
  workers: ManagedProcess[];
  /** Each worker's Prometheus endpoint, when started with `metrics: true`. */
  metricsUrls: string[];
  stop(): Promise<void>;
}

export interface FleetOptions {
  /** TEMPORAL_*, AVINODE_*, WEBHOOK_* … for every process. */
  env: NodeJS.ProcessEnv;
  workers?: number;
  /** Give each worker its own free metrics port (default: metrics off). */
  metrics?: boolean;
  onOutput?: (name: string, line: string) => void;
}

/** The webhook receiver, then `workers` worker processes whose webhook subscriptions point at it. */
export async function startCharterflowFleet(options: FleetOptions): Promise<CharterflowFleet> {
  const base = { LOG_LEVEL: 'warn', METRICS_PORT: '0', ...options.env };
  const webhooks = await startCharterflowProcess({
    name: 'webhooks',
    args: ['webhooks', '--port', '0'],
    env: base,
    readyEvent: 'listening',
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
  });
  const webhookUrl = String(webhooks.announcement.url);
  const workers: ManagedProcess[] = [];
  const metricsUrls: string[] = [];
  const stop = async () => {
    // Workers drain on SIGTERM; the receiver last, so nothing is left without a hand-off.
    await Promise.all(workers.map((worker) => worker.kill('SIGTERM')));
    await webhooks.kill('SIGTERM');
  };
  try {
    for (let i = 0; i < (options.workers ?? 2); i += 1) {
      const metricsPort = options.metrics ? await findFreePort() : 0;
      if (metricsPort) metricsUrls.push(`http://127.0.0.1:${metricsPort}/metrics`);
      // One worker registers the Avinode webhook subscriptions (an upsert); the others need not.
      workers.push(
        await startCharterflowProcess({
          name: `worker-${i + 1}`,
          args: i === 0 ? ['worker'] : ['worker', '--no-webhook-registration'],
          env: { ...base, WEBHOOK_PUBLIC_URL: webhookUrl, METRICS_PORT: String(metricsPort) },
          readyEvent: 'ready',
          ...(options.onOutput ? { onOutput: options.onOutput } : {}),
        }),
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { webhooks, webhookUrl, workers, metricsUrls, stop };
}
