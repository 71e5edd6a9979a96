// `charterflow <command>`: each command lives in its own module, loaded only when used.
import { ConfigError } from '../platform/config.ts';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  start: {
    summary: 'the whole local stack: Temporal dev server + UI, emulator, worker, webhook receiver',
    load: async () => (await import('../workers/start.ts')).runStartCommand,
  },
  worker: {
    summary: 'run a Temporal worker for the charter-trips task queue',
    load: async () => (await import('../workers/worker.ts')).runWorkerCommand,
  },
  webhooks: {
    summary: 'serve Avinode webhooks (POST /webhooks/avinode/<EventType>)',
    load: async () => (await import('../workers/webhook-server.ts')).runWebhooksCommand,
  },
  emulator: {
    summary: 'run the Avinode sandbox emulator [--port N]',
    load: async () => (await import('../emulator/cli.ts')).runEmulatorCommand,
  },
  trip: {
    summary: 'start|status|watch|cancel|select|list charter trips',
    load: async () => (await import('./trip-cli.ts')).runTripCommand,
  },
  avinode: {
    summary: 'token|create-trip|get-trip|rfqs: one direct Avinode API call',
    load: async () => (await import('./avinode-cli.ts')).runAvinodeCommand,
  },
  codec: {
    summary: 'serve the payload codec endpoint for a Temporal Web UI (with payload encryption)',
    load: async () => (await import('../workers/codec-server.ts')).runCodecCommand,
  },
  doctor: {
    summary: 'check configuration and credentials, explaining each failure',
    load: async () => (await import('./doctor.ts')).runDoctorCommand,
  },
  'temporal-cli': {
    summary: 'print the Temporal CLI path, building it into .tools/ if needed',
    load: async () => async () => {
      const { ensureTemporalCli } = await import('../workers/temporal-cli.ts');
      process.stdout.write(`${await ensureTemporalCli({ progress: (line) => process.stderr.write(`${line}\n`) })}\n`);
      return 0;
    },
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'Usage: charterflow <command> [options]',
    '',
    ...Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`),
    '',
    'Add --help after a command for its options. Configuration comes from the environment (see .env.example).',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`Unknown command "${name}".\n\n${usage()}\n`);
    return 2;
  }
  try {
    return await (
      await command.load()
    )(rest);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 78; // EX_CONFIG
    }
    process.stderr.write(`charterflow ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
