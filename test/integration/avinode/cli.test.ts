import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../emulator/index.ts';
import { runAvinodeCommand, type CliIo } from '../../../client/avinode-cli.ts';
import { runDoctorCommand } from '../../../client/doctor.ts';
import { loadConfig } from '../../../platform/config.ts';
import { registerWebhookSubscriptions } from '../../../workers/worker.ts';
import {
  admin,
  captureLogs,
  clientFor,
  envFor,
  futureDate,
  tokenSourceFactory,
  tokenSourceFor,
  type AuthMethod,
  type Emulator,
} from './helpers.ts';

let emulator: Emulator;
let jwtEmulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  jwtEmulator = await startEmulator({ port: 0, credentials: { authMethod: 'client_secret_jwt' } });
});
afterAll(async () => {
  await emulator?.close();
  await jwtEmulator?.close();
});

async function run(command: (argv: string[], io: CliIo) => Promise<number>, argv: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const logs = captureLogs();
  const code = await command(argv, {
    env,
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    logger: logs.logger,
    createTokenSource: tokenSourceFactory,
  });
  return { code, stdout, stderr, logs: logs.text() };
}

const LONG_OPAQUE = /[A-Za-z0-9_-]{40,}/;

describe('charterflow avinode', () => {
  it('token prints the token type and lifetime, never the token', async () => {
    const result = await run(runAvinodeCommand, ['token'], envFor(emulator));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^Bearer token via client_secret_post from http:\/\/127\.0\.0\.1:\d+\/api: expires in 1799 s \(~30 min\)/,
    );
    expect(result.stdout).not.toMatch(LONG_OPAQUE);
    expect(result.stdout).not.toContain(emulator.credentials.clientSecret);
  });

  it('create-trip posts a round trip and prints ids and deep links; get-trip and rfqs read it back', async () => {
    const created = await run(
      runAvinodeCommand,
      [
        'create-trip',
        '--from',
        'KTEB',
        '--to',
        'KPBI',
        '--date',
        futureDate(),
        '--time',
        '09:30',
        '--pax',
        '5',
        '--category',
        'midsize jet',
        '--return-date',
        futureDate(33),
        '--external-id',
        'cli-it-1',
      ],
      envFor(emulator),
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const trip = JSON.parse(created.stdout) as {
      atripId: string;
      tripId: string;
      externalTripId: string;
      deepLinks: { searchInAvinode?: string };
    };
    expect(trip.externalTripId).toBe('cli-it-1');
    expect(trip.atripId).toMatch(/^atrip-/);
    expect(trip.deepLinks.searchInAvinode).toContain(trip.atripId);

    await admin(emulator, 'POST', `/_emulator/trips/${trip.atripId}/send-rfqs`, { operators: 2 });
    const read = await run(runAvinodeCommand, ['get-trip', trip.atripId], envFor(emulator));
    expect(read.code).toBe(0);
    expect(JSON.parse(read.stdout)).toMatchObject({ atripId: trip.atripId, tripId: trip.tripId });
    expect(JSON.parse(read.stdout).rfqs).toHaveLength(2);

    const rfqs = await run(runAvinodeCommand, ['rfqs', trip.tripId], envFor(emulator));
    expect(rfqs.code).toBe(0);
    expect(JSON.parse(rfqs.stdout)).toMatchObject({ tripId: trip.tripId, source: 'rfqs' });
    expect(JSON.parse(rfqs.stdout).rfqs).toHaveLength(2);
  });

  it('explains that the embedded emulator is the target when AVINODE_BASE_URL is unset and no --base-url is given', async () => {
    const result = await run(runAvinodeCommand, ['token'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('AVINODE_BASE_URL is unset, so the target is the embedded emulator');
    expect(result.stderr).toContain('--base-url');
  });

  it('reaches the emulator with --base-url on the embedded defaults', async () => {
    const result = await run(runAvinodeCommand, ['token', '--base-url', emulator.apiBaseUrl], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Bearer token via client_secret_post');
  });

  it('refuses a non-HTTPS remote base URL before sending any credential', async () => {
    const result = await run(runAvinodeCommand, ['token', '--base-url', 'http://sandbox.avinode.example/api'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not HTTPS');
  });

  it('names a bad flag value and exits non-zero', async () => {
    const result = await run(
      runAvinodeCommand,
      ['create-trip', '--from', 'TEB', '--to', 'KPBI', '--date', futureDate(), '--pax', '2'],
      envFor(emulator),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--from must be a 4-character ICAO airport code such as KTEB');
  });
});

describe('configuration scoped to the command', () => {
  const onlyAvinode = () => envFor(emulator, { WEBHOOK_PASSWORD: undefined });

  it('charterflow avinode token and create-trip work with only the Avinode variables set', async () => {
    const token = await run(runAvinodeCommand, ['token'], onlyAvinode());
    expect(token.stderr).toBe('');
    expect(token.code).toBe(0);
    const created = await run(
      runAvinodeCommand,
      [
        'create-trip',
        '--from',
        'KTEB',
        '--to',
        'KPBI',
        '--date',
        futureDate(),
        '--pax',
        '2',
        '--external-id',
        'cli-scoped-1',
      ],
      onlyAvinode(),
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ externalTripId: 'cli-scoped-1' });
  });

  it('a webhook variable that is invalid does not stop a direct Avinode call either', async () => {
    const result = await run(
      runAvinodeCommand,
      ['token'],
      envFor(emulator, { WEBHOOK_PASSWORD: 'short', WEBHOOK_PORT: 'eighty' }),
    );
    expect(result.code).toBe(0);
  });

  it('doctor checks the credentials and reports missing webhook settings as one finding among the others', async () => {
    const result = await run(runDoctorCommand, [], onlyAvinode());
    expect(result.stdout).toContain('! webhook receiver settings incomplete');
    expect(result.stdout).toContain('WEBHOOK_PASSWORD: required when AVINODE_BASE_URL is set');
    expect(result.stdout).toContain('✓ token obtained');
    expect(result.stdout).toContain('✓ API call GET /webhooks/settings succeeded');
    expect(result.stdout).toContain('All checks passed.');
    expect(result.code).toBe(0);
  });

  it('doctor names an invalid webhook variable without its value and still checks the credentials', async () => {
    const result = await run(runDoctorCommand, [], envFor(emulator, { WEBHOOK_PASSWORD: 'tiny' }));
    expect(result.stdout).toMatch(/! webhook receiver settings incomplete\n {4}WEBHOOK_PASSWORD: /);
    expect(result.stdout).not.toContain('tiny');
    expect(result.stdout).toContain('✓ token obtained');
  });

  it('doctor lists the webhook finding next to invalid Avinode settings', async () => {
    const result = await run(
      runDoctorCommand,
      [],
      envFor(emulator, { WEBHOOK_PASSWORD: undefined, AVINODE_CLIENT_SECRET: '' }),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✗ configuration is invalid');
    expect(result.stdout).toContain('AVINODE_CLIENT_SECRET: required');
    expect(result.stdout).toContain('! webhook receiver settings incomplete');
  });

  it('doctor says the webhook settings are present when they are', async () => {
    const result = await run(
      runDoctorCommand,
      [],
      envFor(emulator, { WEBHOOK_PUBLIC_URL: 'https://hooks.example.com' }),
    );
    expect(result.stdout).toContain(
      '✓ webhook receiver settings present: Basic user avinode, target https://hooks.example.com',
    );
  });
});

describe('charterflow doctor', () => {
  it('passes every check against a correctly configured emulator', async () => {
    const result = await run(runDoctorCommand, [], envFor(emulator));
    expect(result.stdout).toContain('✓ token obtained');
    expect(result.stdout).toContain('✓ API call GET /webhooks/settings succeeded');
    expect(result.stdout).toContain('✓ clock in sync with the server');
    expect(result.stdout).toContain('All checks passed.');
    expect(result.code).toBe(0);
  });

  it('lists the webhook subscriptions it finds with id, event types, target and state, and warns about missing ones', async () => {
    const emu = await startEmulator({ port: 0 });
    try {
      const env = envFor(emu, { WEBHOOK_PUBLIC_URL: 'https://hooks.example.test/charterflow' });
      const missing = await run(runDoctorCommand, [], env);
      expect(missing.stdout).toContain('! webhook subscriptions: 3 of 3 event types have no active subscription');
      expect(missing.stdout).toContain(
        'missing: TripRequestMine → https://hooks.example.test/charterflow/webhooks/avinode/TripRequestMine',
      );
      const client = clientFor(emu, tokenSourceFor(emu));
      await registerWebhookSubscriptions(client, loadConfig(env));
      await client.close();
      const healthy = await run(runDoctorCommand, [], env);
      expect(healthy.stdout).toContain('✓ webhook subscriptions: every event type charterflow needs is active');
      expect(healthy.stdout).toMatch(
        /whs-\d+: TripRequestSellerResponse → https:\/\/hooks\.example\.test\/charterflow\/webhooks\/avinode\/TripRequestSellerResponse \(active\)/,
      );
      expect(healthy.stdout).not.toContain(env.WEBHOOK_PASSWORD!);
      expect(healthy.code).toBe(0);
    } finally {
      await emu.close();
    }
  });

  it('says whether payloads are encrypted (naming key ids, never keys) and where worker metrics are served', async () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const plain = await run(runDoctorCommand, [], envFor(emulator));
    expect(plain.stdout).toContain('✓ payload encryption off');
    expect(plain.stdout).toContain('✓ worker metrics on http://127.0.0.1:9464/metrics');
    expect(plain.stdout).toContain(
      '✓ worker: Avinode calls on charter-trips-avinode at 15/s (fleet-wide cap 20/s, webhook receivers keep 5/s); sticky cache 200 trips, 40 workflow tasks, 100 activities per queue; trips continue as new after 1500 events',
    );
    const encrypted = await run(
      runDoctorCommand,
      [],
      envFor(emulator, { PAYLOAD_ENCRYPTION_KEY: key, PAYLOAD_ENCRYPTION_KEY_ID: 'k-2026', METRICS_PORT: '0' }),
    );
    expect(encrypted.stdout).toContain('✓ payload encryption on: AES-256-GCM, key id k-2026');
    expect(encrypted.stdout).toContain('worker metrics off (METRICS_PORT=0)');
    expect(encrypted.stdout).not.toContain(key);
    expect(encrypted.code).toBe(0);
  });

  it('names the configured and the expected client auth method when they differ', async () => {
    const configured: AuthMethod = 'client_secret_basic';
    const result = await run(runDoctorCommand, [], envFor(jwtEmulator, { AVINODE_CLIENT_AUTH_METHOD: configured }));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'client auth method mismatch: configured client_secret_basic, but the secret works with client_secret_jwt',
    );
    expect(result.stdout).toContain('errorDetails codes: invalid_client_secret_basic');
    expect(result.stdout).toContain('Set AVINODE_CLIENT_AUTH_METHOD=client_secret_jwt');
    expect(result.stdout).not.toContain(jwtEmulator.credentials.clientSecret);
  });

  it('explains a secret that no method accepts: wrong, rotated by the weekly reset, or an idle connection', async () => {
    const result = await run(runDoctorCommand, [], envFor(emulator, { AVINODE_CLIENT_SECRET: 'not-the-secret' }));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('token request rejected: invalid_client');
    expect(result.stdout).toContain('No other client auth method works');
    expect(result.stdout).toContain('Mondays 06:00–08:00 UTC');
    expect(result.stdout).toContain('60 days');
    expect(result.stdout).not.toContain('not-the-secret');
  });

  it('explains an unset or empty client secret', async () => {
    const result = await run(runDoctorCommand, [], envFor(emulator, { AVINODE_CLIENT_SECRET: '' }));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'AVINODE_CLIENT_SECRET: required when AVINODE_AUTH=oauth — the client secret is unset or empty',
    );
  });

  it('explains each configuration problem by its variable: a plain-HTTP Avinode URL, a missing client auth method', async () => {
    const result = await run(
      runDoctorCommand,
      [],
      envFor(emulator, {
        AVINODE_BASE_URL: 'http://sandbox.avinode.example/api',
        AVINODE_CLIENT_AUTH_METHOD: undefined,
      }),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'AVINODE_BASE_URL: must use https:// for a non-loopback host — Avinode is HTTPS-only',
    );
    expect(result.stdout).toMatch(
      /AVINODE_CLIENT_AUTH_METHOD: required when AVINODE_AUTH=oauth \(one of [^)]+\) — use the method chosen when the secret was created/,
    );
  });

  it('flags a secret with trailing whitespace', async () => {
    const secret = `${emulator.credentials.clientSecret}\n`;
    const result = await run(runDoctorCommand, [], envFor(emulator, { AVINODE_CLIENT_SECRET: secret }));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✗ AVINODE_CLIENT_SECRET has leading or trailing whitespace');
  });

  it('explains a rejected API token after a fresh access token', async () => {
    const result = await run(
      runDoctorCommand,
      [],
      envFor(emulator, { AVINODE_API_TOKEN: '11111111-2222-4333-8444-555555555555' }),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✓ token obtained');
    expect(result.stdout).toContain('✗ the API rejected a freshly issued token');
    expect(result.stdout).toContain('AVINODE_API_TOKEN');
  });

  it('explains that the embedded emulator needs --base-url when AVINODE_BASE_URL is unset', async () => {
    const result = await run(runDoctorCommand, [], {});
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('AVINODE_BASE_URL is unset, so the target is the embedded emulator');
  });
});
