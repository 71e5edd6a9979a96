// The package as a backend gets it: `npm pack` (which builds dist/ through prepack), the tarball
// installed into an empty project, then used there without tsx — the `charterflow` bin runs a worker
// from the compiled code and the prebuilt workflow bundle, a plain Node ESM script starts a trip and
// watches it to the end, and a TypeScript consumer type-checks under both module resolutions.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_AUTOPILOT, startEmulator, type RunningEmulator } from '../../emulator/index.ts';
import { findFreePort } from '../../workers/dev-server.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const WEBHOOK_PASSWORD = 'packed-webhook-password';

let work: string;
let app: string;
let tarball: string;
let emulator: RunningEmulator;
const children: ChildProcess[] = [];

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`.slice(
        -6_000,
      ),
    );
  return result.stdout;
}

function tripEnv(taskQueue: string, metricsPort: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    AVINODE_BASE_URL: emulator.apiBaseUrl,
    AVINODE_API_TOKEN: emulator.credentials.apiToken,
    AVINODE_CLIENT_ID: emulator.credentials.clientId,
    AVINODE_CLIENT_SECRET: emulator.credentials.clientSecret,
    AVINODE_CLIENT_AUTH_METHOD: emulator.credentials.authMethod,
    WEBHOOK_PASSWORD,
    METRICS_PORT: String(metricsPort),
    LOG_LEVEL: 'info',
  };
}

/** Resolves with the child once a stdout line matches; rejects if it exits first. */
function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<string> {
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((candidate) => pattern.test(candidate));
      if (line) {
        child.stdout!.off('data', onData);
        resolve(line);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) =>
      reject(new Error(`${what} exited with ${code} before ${pattern}:\n${output.slice(-4_000)}`)),
    );
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'charterflow-pack-'));
  // prepack (npm run build) prints its own lines before npm's JSON report.
  const report = run('npm', ['pack', '--json', '--pack-destination', work], root);
  const packed = JSON.parse(report.slice(report.search(/^\[/m))) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, packed[0]!.filename);
  writeFileSync(join(work, 'files.json'), JSON.stringify(packed[0]!.files.map((file) => file.path)));
  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'charterflow-consumer', private: true, type: 'module' }, null, 2),
  );
  const typesNode = (
    JSON.parse(readFileSync(join(root, 'node_modules', '@types', 'node', 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, `@types/node@${typesNode}`], app);
  emulator = await startEmulator({
    port: 0,
    autopilot: { ...DEFAULT_AUTOPILOT, enabled: false },
    tokenRequestsPerMinute: 10_000,
  });
}, 600_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await emulator?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed charterflow package', () => {
  it('ships the compiled code, its types and the prebuilt workflow bundle, and no sources or tests', () => {
    const files = JSON.parse(readFileSync(join(work, 'files.json'), 'utf8')) as string[];
    expect(files).toEqual(
      expect.arrayContaining([
        'bin/charterflow.js',
        'dist/client/package-entry.js',
        'dist/client/package-entry.d.ts',
        'dist/client/package-entry.js.map',
        'dist/workflow-bundle.js',
      ]),
    );
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((file) => /^(test|dist\/test)\//.test(file))).toEqual([]);
    // A production install: no tsx to run TypeScript with.
    expect(existsSync(join(app, 'node_modules', 'tsx'))).toBe(false);
  });

  it('runs a worker from the compiled bin and the prebuilt bundle, and a trip started from plain Node ESM completes', async () => {
    const taskQueue = `packed-${randomUUID()}`;
    const metricsPort = await findFreePort();
    const env = tripEnv(taskQueue, metricsPort);
    const worker = spawn(join(app, 'node_modules', '.bin', 'charterflow'), ['worker', '--no-webhook-registration'], {
      cwd: app,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(worker);
    let workerLog = '';
    worker.stdout!.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
    await waitForLine(worker, /"event":"ready"/, 'charterflow worker');
    expect(workerLog).toContain(
      `prebuilt bundle ${join(app, 'node_modules', 'charterflow', 'dist', 'workflow-bundle.js')}`,
    );
    const check = spawnSync(join(app, 'node_modules', '.bin', 'charterflow'), ['worker', '--check'], {
      cwd: app,
      env,
      encoding: 'utf8',
    });
    expect(check.stdout).toContain(`polling:`);
    expect(check.status).toBe(0);

    const externalId = `packed-${randomUUID().slice(0, 8)}`;
    const date = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    writeFileSync(
      join(app, 'trip.mjs'),
      `import { CharterClient, TripRequestInvalid, payloadCodecsFor, temporalConnectionOptions } from 'charterflow';
import { verifyCallbackSignature } from 'charterflow/callbacks';
import { startWorker } from 'charterflow/worker';
for (const [name, value] of Object.entries({ TripRequestInvalid, payloadCodecsFor, temporalConnectionOptions, verifyCallbackSignature, startWorker })) {
  if (typeof value !== 'function') throw new Error(name + ' is not exported');
}
const charter = await CharterClient.connect({ address: process.env.TEMPORAL_ADDRESS, namespace: process.env.TEMPORAL_NAMESPACE, taskQueue: process.env.TEMPORAL_TASK_QUEUE });
const trip = await charter.startTrip({
  externalId: ${JSON.stringify(externalId)},
  legs: [{ from: 'KTEB', to: 'KPBI', date: ${JSON.stringify(date)}, time: '09:30', pax: 5 }],
  timing: { pollInitialMs: 300, pollMaxMs: 1000, credentialRecheckMs: 300 },
});
console.log(JSON.stringify({ started: trip }));
for await (const progress of charter.watch(${JSON.stringify(externalId)}, { intervalMs: 200 })) {
  // A broker decides once every lift answered (runs that wait for the decision); select the quote.
  if (progress.phase === 'awaiting_selection' && progress.quotes[0]) await charter.selectQuote(${JSON.stringify(externalId)}, progress.quotes[0].quoteId);
  if (['completed', 'cancelled', 'expired', 'failed'].includes(progress.phase)) console.log(JSON.stringify({ finished: progress }));
}
await charter.close();
`,
    );
    const script = spawn(process.execPath, ['trip.mjs'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(script);
    const finishedLine = waitForLine(script, /"finished"/, 'trip.mjs');
    const { started } = JSON.parse(await waitForLine(script, /"started"/, 'trip.mjs')) as {
      started: { atripId: string; workflowId: string };
    };
    expect(started.workflowId).toBe(`trip-${externalId}`);
    const { rfqIds } = await emulator.admin.sendRfqs(started.atripId, 1);
    await emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 30_500, currency: 'USD' });
    const { finished } = JSON.parse(await finishedLine) as { finished: { phase: string; quotes: { price: number }[] } };
    expect(finished.phase).toBe('completed');
    expect(finished.quotes.map((quote) => quote.price)).toEqual([30_500]);
  }, 120_000);

  it('type-checks every TypeScript example of the README\'s "Using it from a backend" against the installed package', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Using it from a backend'),
      readme.indexOf('\n## ', readme.indexOf('## Using it from a backend') + 5),
    );
    const examples = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
    expect(examples.length).toBeGreaterThanOrEqual(4);
    const dir = join(app, 'readme-examples');
    mkdirSync(dir, { recursive: true });
    const files = examples.map((code, index) => {
      const file = `example-${index + 1}.ts`;
      // The examples call the backend's own storage; everything else must come from the package.
      const prelude = code.includes('recordOnce(')
        ? 'declare function recordOnce(eventId: string, event: unknown): Promise<void>;\n'
        : '';
      writeFileSync(join(dir, file), `${prelude}${code}\nexport {};\n`);
      return file;
    });
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files,
      }),
    );
    const result = spawnSync(process.execPath, [TSC, '-p', dir], { cwd: dir, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each(['bundler', 'nodenext'] as const)(
    'type-checks a TypeScript consumer under moduleResolution %s',
    (resolution) => {
      const dir = join(app, `ts-${resolution}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'consumer.ts'),
        `import { CharterClient, TripRequestInvalid, type TripProgress, type TripRequest, type StartTripInput } from 'charterflow';
import { verifyCallbackSignature, type CallbackEvent } from 'charterflow/callbacks';
import { loadConfig, startWorker, type RunningWorker } from 'charterflow/worker';

export async function startOne(charter: CharterClient, input: StartTripInput): Promise<string> {
  try {
    const trip = await charter.startTrip(input);
    return trip.deepLinks.searchInAvinode ?? trip.workflowId;
  } catch (error) {
    if (error instanceof TripRequestInvalid) return error.problems.map((problem) => problem.path + ': ' + problem.message).join('; ');
    throw error;
  }
}
export const phaseOf = (progress: TripProgress): TripProgress['phase'] => progress.phase;
export const ok: boolean = verifyCallbackSignature('secret', '{}', undefined);
export const isQuote = (event: CallbackEvent): boolean => event.type === 'quote_received';
// @ts-expect-error: event types are a closed union
export const unknownEvent = (event: CallbackEvent): boolean => event.type === 'trip_teleported';
export const embed = (): Promise<RunningWorker> => startWorker({ config: loadConfig(), logger: undefined as never });
export const request: Pick<TripRequest, 'externalId'> = { externalId: 'REQ-1' };
// @ts-expect-error: the types are real, not any: a phase outside TripPhase is refused.
export const wrong: TripProgress['phase'] = 'teleported';
`,
      );
      const module = resolution === 'bundler' ? 'esnext' : 'nodenext';
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'es2022',
            module,
            moduleResolution: resolution,
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: ['node'],
          },
          files: ['consumer.ts'],
        }),
      );
      const result = spawnSync(process.execPath, [TSC, '-p', dir], { cwd: dir, encoding: 'utf8' });
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
    },
  );
});
