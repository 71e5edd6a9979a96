// `charterflow start` (= `npm start`): the whole local stack on embedded defaults.
// Dev server (SQLite under .data/, Web UI) → emulator with autopilot actors → worker → webhook receiver.
// With TEMPORAL_ADDRESS and/or AVINODE_BASE_URL set, those parts point at the real services instead.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../platform/config.ts';
import { startCodecServer, uiOrigins } from './codec-server.ts';
import { findFreePort, startDevServer, type RunningDevServer } from './dev-server.ts';
import { createLogger } from '../platform/logging.ts';
import { payloadCodecsFor } from '../platform/payload-codec.ts';
import { temporalConnectionOptions } from '../platform/temporal-connection.ts';
import { ensureTemporalCli, PROJECT_ROOT } from './temporal-cli.ts';
import { TRIP_LIST_COLUMNS, tripListUrl } from './web-ui.ts';

const USAGE = `Usage: charterflow start [--no-autopilot] [--port N]

Starts, each only when not configured to use an existing one:
  - the Temporal dev server (gRPC --port, default 7233; Web UI on TEMPORAL_UI_PORT, default 8233;
    SQLite in .data/temporal.sqlite, so runs survive restarts),
  - the Avinode sandbox emulator (EMULATOR_PORT, default 8280) with simulated broker and operators,
  - a worker for the task queue and the webhook receiver (WEBHOOK_PORT, default 8281),
  - with PAYLOAD_ENCRYPTION_KEY set, a local codec endpoint for the Web UI (CODEC_SERVER_PORT,
    default 8282; the embedded dev server's UI is started with --ui-codec-endpoint).
Ctrl-C stops everything.`;

type Stoppable = { name: string; stop: () => Promise<void> };

function printJson(line: object) {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function exampleTripCommand(): string {
  const date = new Date(Date.now() + 21 * 86_400_000).toISOString().slice(0, 10);
  return `npx charterflow trip start --from KTEB --to KPBI --date ${date} --time 09:30 --pax 5 --category "Midsize jet" --watch`;
}

export async function runStartCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { help: { type: 'boolean', short: 'h' }, 'no-autopilot': { type: 'boolean' }, port: { type: 'string' } },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const baseConfig = loadConfig();
  // The banner is the interface here; structured logs stay at warn unless LOG_LEVEL asks for more.
  const logger = createLogger({ level: process.env.LOG_LEVEL ? baseConfig.logLevel : 'warn', name: 'charterflow' });
  const running: Stoppable[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const part of running.reverse()) {
        try {
          await part.stop();
        } catch (error) {
          logger.warn({ part: part.name, err: error instanceof Error ? error.message : String(error) }, 'stop failed');
        }
      }
    })());

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping charterflow…\n`);
    void stopAll();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    let address = baseConfig.temporal.address;
    let uiUrl: string | undefined;
    // Encryption on: every client and worker below shares the codec, and the Web UI decodes through
    // a loopback codec endpoint started first, because the dev server needs its URL at start.
    const payloadCodecs = payloadCodecsFor(baseConfig.payloadEncryption);
    const uiPort = address ? baseConfig.temporal.uiPort : baseConfig.temporal.uiPort || (await findFreePort());
    let codecEndpoint: string | undefined;
    if (payloadCodecs[0]) {
      const codecServer = await startCodecServer({
        codec: payloadCodecs[0],
        allowedOrigins: uiOrigins(uiPort),
        port: baseConfig.codecServer.port,
        logger,
      });
      running.push({ name: 'codec server', stop: codecServer.close });
      codecEndpoint = codecServer.endpoint;
      printJson({ event: 'listening', service: 'codec', url: codecEndpoint });
    }
    if (!address) {
      const cliPath = await ensureTemporalCli({ progress: (line) => process.stderr.write(`${line}\n`) });
      const started = Date.now();
      const server: RunningDevServer = await startDevServer({
        cliPath,
        port: values.port ? Number(values.port) : 7233,
        uiPort,
        ...(codecEndpoint ? { codecEndpoint } : {}),
        dbFilename: join(PROJECT_ROOT, '.data', 'temporal.sqlite'),
        namespace: baseConfig.temporal.namespace,
      });
      running.push({ name: 'temporal', stop: server.stop });
      address = server.address;
      uiUrl = server.uiUrl;
      printJson({
        event: 'listening',
        service: 'temporal',
        url: address,
        ui: uiUrl,
        startedInMs: Date.now() - started,
      });
    }

    let config: Config = { ...baseConfig, temporal: { ...baseConfig.temporal, address } };
    if (baseConfig.avinode.embedded) {
      // The emulator is a development stand-in: production code paths never import it.
      const { startEmulator, emulatorCredentialsFromConfig, DEFAULT_AUTOPILOT } = await import('../emulator/index.ts');
      const emulator = await startEmulator({
        port: baseConfig.emulator.port,
        credentials: emulatorCredentialsFromConfig(baseConfig.avinode),
        autopilot: values['no-autopilot'] ? { ...DEFAULT_AUTOPILOT, enabled: false } : DEFAULT_AUTOPILOT,
        // .data/ keeps earlier runs (and their webhook routing ids): never hand out the same ids again.
        idOffset: (Math.floor(Date.now() / 1000) % 100_000) * 10_000,
        seed: Date.now() % 2_147_483_647,
        logger: logger.child({ service: 'emulator' }),
      });
      running.push({ name: 'emulator', stop: emulator.close });
      config = { ...config, avinode: { ...config.avinode, baseUrl: emulator.apiBaseUrl } };
      printJson({ event: 'listening', service: 'emulator', url: emulator.url });
    }
    if (interrupted) return 130;

    const { installRuntime, metricsUrl, startWorker } = await import('./worker.ts');
    const metrics =
      config.metrics && installRuntime(logger, [], config.metrics) ? metricsUrl(config.metrics.bindAddress) : undefined;
    const worker = await startWorker({ config, logger });
    if (metrics) printJson({ event: 'listening', service: 'metrics', url: metrics });
    running.push({ name: 'worker', stop: worker.shutdown });
    const workerDone = worker.run();

    const connection = await Connection.connect(temporalConnectionOptions(config.temporal, { address }));
    running.push({ name: 'temporal client', stop: () => connection.close() });
    const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: { payloadCodecs } });
    const { startWebhookServer } = await import('./webhook-server.ts');
    const webhooks = await startWebhookServer({ config, client, logger, port: config.webhooks.port });
    running.push({ name: 'webhooks', stop: webhooks.close });
    printJson({ event: 'listening', service: 'webhooks', url: webhooks.url });

    process.stderr.write(
      [
        '',
        'charterflow is running.',
        ...(uiUrl
          ? [
              `  Temporal Web UI  ${uiUrl}/namespaces/${config.temporal.namespace}/workflows`,
              `  Trips only       ${tripListUrl(uiUrl, config.temporal.namespace)}`,
              `                   (add columns ${TRIP_LIST_COLUMNS.join(', ')} with "Configure Columns"; the browser keeps them)`,
            ]
          : []),
        `  Temporal         ${address} (task queue ${config.temporal.taskQueue})`,
        `  Avinode API      ${config.avinode.baseUrl}${config.avinode.embedded ? ' (emulator, simulated broker and operators)' : ''}`,
        `  Webhooks         ${webhooks.url}/webhooks/avinode/<EventType>`,
        ...(metrics ? [`  Metrics          ${metrics} (Prometheus)`] : []),
        ...(codecEndpoint
          ? [
              `  Payload codec    ${codecEndpoint} (${config.payloadEncryption?.current ? `encrypting with key id ${config.payloadEncryption.current.keyId}` : 'decrypt only'}` +
                `${uiUrl ? '; the Web UI decodes through it' : '; set it as the Web UI codec endpoint'})`,
            ]
          : []),
        '',
        'In another terminal, start a trip and watch the quotes arrive:',
        `  ${exampleTripCommand()}`,
        'Once every operator has answered, the run waits for your decision:',
        '  npx charterflow trip message <externalId> <rfqId> "Is catering included?"',
        '  npx charterflow trip select <externalId> <quoteId>      (reported to Avinode as the trip outcome)',
        '',
        'Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
    await Promise.race([
      workerDone,
      new Promise<void>((resolve) => process.once('SIGINT', () => resolve()).once('SIGTERM', () => resolve())),
    ]);
    await stopAll();
    await workerDone.catch(() => undefined);
    return interrupted ? 0 : 1;
  } catch (error) {
    await stopAll();
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
