import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEmulatorArgs } from '../../emulator/cli.ts';
import { startHarness, tripBody, type Harness } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.emu.close();
  h = undefined;
});

describe('bad input never crashes the emulator', () => {
  it('answers malformed JSON with a 400 envelope', async () => {
    h = await startHarness();
    for (const path of ['/trips', '/webhooks/settings']) {
      const res = await h.api('POST', path, { body: '{"sourcing": tru' });
      expect(res.status).toBe(400);
      expect(res.json.meta.errors[0]).toEqual({
        code: 'ERR_INPUT_GENERIC_INVALID',
        title: 'The request body is not valid JSON',
      });
    }
    expect((await h.api('POST', '/trips', { body: '[1,2]' })).status).toBe(400);
    expect((await h.admin('POST', '/rfqs/arfq-1/respond', 'not json' as unknown)).status).toBe(400);
  });

  it('answers bodies over 1 MiB with 413 and keeps serving', async () => {
    h = await startHarness();
    const huge = JSON.stringify({ ...tripBody(), padding: 'x'.repeat(1024 * 1024 + 10) });
    const res = await h.api('POST', '/trips', { body: huge });
    expect(res.status).toBe(413);
    expect(res.json.meta.errors[0].code).toBe('ERR_INPUT_TOO_LARGE');
    expect((await h.api('POST', '/trips', { body: tripBody() })).status).toBe(201);
  });

  it('answers a chunked oversize body (no content-length) with 413 too', async () => {
    h = await startHarness();
    const chunk = new Uint8Array(256 * 1024).fill(97);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 6) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(`${h.emu.url}/_emulator/reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.headers.get('content-length')).toBeTruthy();
    expect(res.status).toBe(413);
    expect((await h.admin('GET', '/stats')).json.data.resets).toBe(0);
  });

  it('answers unknown routes with a NOT_FOUND envelope and wrong methods with 405', async () => {
    h = await startHarness();
    const unknown = await fetch(`${h.emu.url}/api/nothing/here`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      meta: { errors: [{ title: 'Not found', code: 'NOT_FOUND' }], warnings: [], infos: [] },
    });
    expect((await fetch(`${h.emu.url}/%E0%A4%A`)).status).toBe(404);
    const wrong = await fetch(`${h.emu.url}/api/trips/atrip-1`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });

  it('never turns hostile bodies into a handler exception on any write route', async () => {
    h = await startHarness();
    const token = await h.token();
    const trip = (await h.api('POST', '/trips', { token, body: tripBody() })).json.data;
    const { rfqIds } = (await h.admin('POST', `/trips/${trip.id}/send-rfqs`, { operators: 1 })).json.data;
    const setting = (
      await h.api('POST', '/webhooks/settings', {
        token,
        body: { targetURI: 'https://x.test/', eventTypes: ['TripRequestMine'] },
      })
    ).json.data;
    const bodies: unknown[] = [
      null,
      [],
      'text',
      42,
      true,
      {},
      { segments: null },
      { segments: [null] },
      { segments: [{ dateTime: 'x', startAirport: 'KTEB' }], criteria: [], sourcing: true },
      { segments: [{}], criteria: { requiredLift: 'x' }, sourcing: true },
      { criteria: { requiredLift: [null, 1] }, segments: [], sourcing: false },
      { rules: 'x' },
      { rules: [null, 1, { kind: 1 }] },
      { action: 'quote', price: 'NaN' },
      { operators: Infinity },
      { set: 5 },
      { advanceMs: 'x' },
      { targetURI: 5, eventTypes: 'TripRequestMine' },
      { reason: ['BY_CLIENT'] },
      { enabled: 'yes', operators: -1 },
      { token: 5 },
      { clientId: '', authMethod: null },
      JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}'),
    ];
    const routes: [string, string][] = [
      ['POST', `${h.emu.apiBaseUrl}/trips`],
      ['PUT', `${h.emu.apiBaseUrl}/trips/${trip.id}/cancel`],
      ['POST', `${h.emu.apiBaseUrl}/webhooks/settings`],
      ['PUT', `${h.emu.apiBaseUrl}/webhooks/settings/${setting.id}`],
      ['POST', `${h.emu.url}/_emulator/trips/${trip.id}/send-rfqs`],
      ['POST', `${h.emu.url}/_emulator/rfqs/${rfqIds[0]}/respond`],
      ['PUT', `${h.emu.url}/_emulator/faults`],
      ['PUT', `${h.emu.url}/_emulator/credentials`],
      ['POST', `${h.emu.url}/_emulator/clock`],
      ['PUT', `${h.emu.url}/_emulator/autopilot`],
      ['POST', `${h.emu.url}/_emulator/tokens/revoke`],
      ['POST', `${h.emu.url}/avvail/oauth/token`],
      ['POST', h.emu.tokenUrl],
      ['POST', `${h.emu.url}/airvantage/api/oauth/token`],
    ];
    for (const [method, url] of routes) {
      for (const body of bodies) {
        const res = await fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            'x-avinode-apitoken': h.emu.credentials.apiToken,
            'x-avinode-senttimestamp': new Date(h.clock.ms).toISOString(),
            'content-type': 'application/json',
          },
          body: JSON.stringify(body),
        });
        const text = await res.text();
        expect(text, `${method} ${url} ${JSON.stringify(body)}`).not.toContain('ERR_INTERNAL_SERVER_ERROR');
        // The only 5xx allowed is the sandbox's own ERR_INTERNAL_CRITICAL for a POST /trips without segments.
        if (res.status >= 500)
          expect(text, `${method} ${url} ${JSON.stringify(body)}`).toContain('ERR_INTERNAL_CRITICAL');
      }
      await h.admin('DELETE', '/faults');
      await h.admin('PUT', '/credentials', { ...h.emu.credentials, clientId: 'charterflow-local' });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await h.admin('GET', '/stats')).status).toBe(200);
  });

  it('serves many concurrent clients consistently (100 parallel creates → 100 distinct trips)', async () => {
    h = await startHarness();
    const token = await h.token();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        h!.api('POST', '/trips', { token, body: tripBody({ externalTripId: `c-${i % 10}` }) }),
      ),
    );
    expect(results.every((r) => r.status === 201)).toBe(true);
    expect(new Set(results.map((r) => r.json.data.id)).size).toBe(100);
    expect(new Set(results.map((r) => r.json.data.tripId)).size).toBe(100);
    const stats = (await h.admin('GET', '/stats')).json.data;
    expect(Object.values(stats.tripsByExternalId)).toEqual(Array(10).fill(10));
  });
});

describe('charterflow emulator command', () => {
  it('parses flags into options and rejects bad ones by name', () => {
    const { options } = parseEmulatorArgs([
      '--port',
      '0',
      '--autopilot',
      '--operators',
      '4',
      '--fault',
      '503@POST /api/trips,times=2',
      '--reset-schedule',
      '--webhook-horizon-ms',
      '100',
    ]);
    expect(options).toMatchObject({
      port: 0,
      autopilot: { enabled: true, operators: 4 },
      faults: [{ kind: '503', route: 'POST /api/trips', times: 2 }],
      resetSchedule: { enabled: true, wipeCredentials: false },
    });
    expect(options.webhookRetry?.horizonMs).toBe(100);
    expect(() => parseEmulatorArgs(['--port', 'x'])).toThrow(/--port/);
    expect(() => parseEmulatorArgs(['--decline-ratio', '2'])).toThrow(/--decline-ratio/);
    expect(() => parseEmulatorArgs(['--bogus'])).toThrow();
    expect(parseEmulatorArgs(['--search-by-external-id', 'off']).options.searchByExternalId).toBe('off');
    expect(() => parseEmulatorArgs(['--search-by-external-id', 'no'])).toThrow(/--search-by-external-id/);
  });

  it('prints the listening line, serves the API with credentials from AVINODE_* and exits 0 on SIGTERM', async () => {
    const bin = fileURLToPath(new URL('../../bin/charterflow.js', import.meta.url));
    const child = spawn(process.execPath, [bin, 'emulator', '--port', '0'], {
      env: {
        ...process.env,
        AVINODE_BASE_URL: '',
        AVINODE_CLIENT_ID: 'cli-client',
        AVINODE_CLIENT_SECRET: 'cli-secret',
        AVINODE_CLIENT_AUTH_METHOD: 'client_secret_post',
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0]!);
        });
        child.on('exit', (code) => reject(new Error(`exited early with ${code}`)));
      });
      const event = JSON.parse(line);
      expect(event).toMatchObject({
        event: 'listening',
        service: 'emulator',
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      });
      const res = await fetch(`${event.url}/api/oauth/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'cli-client',
          client_secret: 'cli-secret',
        }),
      });
      expect(res.status).toBe(200);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
