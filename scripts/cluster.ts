// `npm run cluster`: the deployment docker-compose.yml describes, on this machine without Docker.
// PostgreSQL (Debian's packages) → Temporal server 1.29.1 (built into .tools/ on first use) with
// PostgreSQL visibility and charterflow's search attributes → the Avinode emulator (unless
// AVINODE_BASE_URL is set) → the webhook receiver and two worker processes. Ctrl-C stops it all.
import { parseArgs } from 'node:util';
import { startCluster } from '../workers/cluster/cluster.ts';
import { startCharterflowFleet } from '../workers/cluster/processes.ts';
import { loadConfig } from '../platform/config.ts';

const USAGE = `Usage: npm run cluster [-- --port N] [--workers N] [--no-autopilot]

  --port N        Temporal frontend gRPC port (default: a free one)
  --workers N     worker processes (default 2)
  --no-autopilot  the emulator's simulated broker and operators stay idle`;

const { values } = parseArgs({
  options: {
    help: { type: 'boolean', short: 'h' },
    port: { type: 'string' },
    workers: { type: 'string' },
    'no-autopilot': { type: 'boolean' },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const printJson = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const progress = (line: string) => process.stderr.write(`${line}\n`);
const config = loadConfig();
const stoppers: (() => Promise<void>)[] = [];
const stopAll = async () => {
  for (const stop of stoppers.reverse())
    await stop().catch((error: unknown) =>
      progress(`stop failed: ${error instanceof Error ? error.message : String(error)}`),
    );
};

try {
  const cluster = await startCluster({
    progress,
    ...(values.port ? { port: Number(values.port) } : {}),
    namespace: config.temporal.namespace,
  });
  stoppers.push(cluster.stop);
  printJson({ event: 'listening', service: 'temporal', url: cluster.address, startedInMs: cluster.timings.totalMs });

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: cluster.address,
    TEMPORAL_NAMESPACE: cluster.namespace,
  };
  let avinode = config.avinode.baseUrl ?? '';
  if (config.avinode.embedded) {
    const { startEmulator, emulatorCredentialsFromConfig, DEFAULT_AUTOPILOT } = await import('../emulator/index.ts');
    const emulator = await startEmulator({
      port: 0,
      credentials: emulatorCredentialsFromConfig(config.avinode),
      autopilot: values['no-autopilot'] ? { ...DEFAULT_AUTOPILOT, enabled: false } : DEFAULT_AUTOPILOT,
      seed: Date.now() % 2_147_483_647,
    });
    stoppers.push(emulator.close);
    avinode = emulator.apiBaseUrl;
    // The processes get the emulator's URL and its (local, non-secret) credentials.
    Object.assign(env, {
      AVINODE_BASE_URL: emulator.apiBaseUrl,
      AVINODE_API_TOKEN: emulator.credentials.apiToken,
      AVINODE_CLIENT_ID: emulator.credentials.clientId,
      AVINODE_CLIENT_SECRET: emulator.credentials.clientSecret,
      AVINODE_CLIENT_AUTH_METHOD: emulator.credentials.authMethod,
      WEBHOOK_PASSWORD: config.webhooks.password,
    });
    printJson({ event: 'listening', service: 'emulator', url: emulator.url });
  }
  const fleet = await startCharterflowFleet({ env, workers: values.workers ? Number(values.workers) : 2 });
  stoppers.push(fleet.stop);
  printJson({ event: 'listening', service: 'webhooks', url: fleet.webhookUrl });
  progress(
    [
      '',
      'charterflow cluster is running.',
      `  Temporal         ${cluster.address} (server ${cluster.tools.version}, PostgreSQL ${cluster.postgres.host}:${cluster.postgres.port}, namespace ${cluster.namespace})`,
      `  Workers          ${fleet.workers.map((worker) => `${worker.name} pid ${worker.pid()}`).join(', ')} (task queue ${config.temporal.taskQueue})`,
      `  Webhooks         ${fleet.webhookUrl}/webhooks/avinode/<EventType>`,
      `  Avinode API      ${avinode}${config.avinode.embedded ? ' (emulator)' : ''}`,
      `  Started in       ${(cluster.timings.totalMs / 1000).toFixed(1)} s (${JSON.stringify(cluster.timings)})`,
      '',
      'In another terminal:',
      `  TEMPORAL_ADDRESS=${cluster.address} npx charterflow trip start --from KTEB --to KPBI --date ${new Date(Date.now() + 21 * 86_400_000).toISOString().slice(0, 10)} --pax 5 --watch`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolveStop) => {
    process.once('SIGINT', resolveStop);
    process.once('SIGTERM', resolveStop);
  });
  progress('stopping the cluster…');
  await stopAll();
} catch (error) {
  await stopAll();
  progress(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  process.exitCode = 1;
}
