// Shared helpers for the emulator contract tests: a controllable clock, an API caller that sends the
// documented headers, and a webhook receiver. Everything talks real HTTP on loopback.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../emulator/index.ts';
import { waitUntil } from '../support.ts';

export const START = Date.parse('2026-03-04T10:00:00.000Z'); // a Wednesday

export class TestClock {
  constructor(public ms = START) {}
  now = () => this.ms;
  advance(ms: number) {
    this.ms += ms;
  }
}

export interface Harness {
  emu: RunningEmulator;
  clock: TestClock;
  token(overrides?: Record<string, string>): Promise<string>;
  api(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string; headers?: Record<string, string | undefined> },
  ): Promise<{ status: number; headers: Headers; json: any }>;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
}

export async function startHarness(options: EmulatorOptions = {}): Promise<Harness> {
  const clock = new TestClock();
  const emu = await startEmulator({ port: 0, now: clock.now, ...options });
  let cached: string | undefined;
  const harness: Harness = {
    emu,
    clock,
    async token(overrides = {}) {
      const c = emu.credentials;
      const form = new URLSearchParams({ grant_type: 'client_credentials' });
      const headers: Record<string, string> = { accept: 'application/json' };
      if (c.authMethod === 'client_secret_basic') {
        const enc = (v: string) => new URLSearchParams({ v }).toString().slice(2);
        headers.authorization = `Basic ${Buffer.from(`${enc(c.clientId)}:${enc(c.clientSecret)}`, 'utf8').toString('base64')}`;
      } else if (c.authMethod === 'client_secret_jwt') {
        const assertion = await new SignJWT({})
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setIssuer(c.clientId)
          .setSubject(c.clientId)
          .setAudience(emu.tokenUrl)
          .setIssuedAt(Math.floor(clock.now() / 1000))
          .setExpirationTime(Math.floor(clock.now() / 1000) + 60)
          .setJti(randomUUID())
          .sign(new TextEncoder().encode(c.clientSecret));
        form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
        form.set('client_assertion', assertion);
      } else {
        form.set('client_id', c.clientId);
        form.set('client_secret', c.clientSecret);
      }
      for (const [key, value] of Object.entries(overrides)) form.set(key, value);
      const res = await fetch(emu.tokenUrl, { method: 'POST', headers, body: form });
      const json = (await res.json()) as any;
      if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${JSON.stringify(json)}`);
      return json.access_token as string;
    },
    async api(method, path, { body, token, headers = {} } = {}) {
      cached = token ?? cached ?? (await harness.token());
      const all: Record<string, string | undefined> = {
        authorization: `Bearer ${cached}`,
        'x-avinode-apitoken': emu.credentials.apiToken,
        'x-avinode-senttimestamp': new Date(clock.now()).toISOString(),
        'x-avinode-apiversion': 'v1.0',
        'x-avinode-product': 'charterflow-tests/1',
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      };
      const res = await fetch(`${emu.apiBaseUrl}${path}`, {
        method,
        headers: Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as Record<string, string>,
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
    },
    async admin(method, path, body) {
      const res = await fetch(`${emu.url}/_emulator${path}`, {
        method,
        ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    },
  };
  return harness;
}

export function tripBody(overrides: Record<string, unknown> = {}) {
  return {
    externalTripId: 'trip-ext-1',
    sourcing: true,
    criteria: { requiredLift: [{ aircraftCategory: 'Midsize jet' }], maxFuelStopsPerSegment: 0 },
    segments: [
      {
        startAirport: { icao: 'KTEB' },
        endAirport: { icao: 'KPBI' },
        dateTime: { date: '2026-05-14', time: '09:30', departure: true, local: true },
        paxCount: '5',
        paxSegment: true,
        paxTBD: false,
        timeTBD: false,
      },
      {
        startAirport: { icao: 'KPBI' },
        endAirport: { icao: 'KTEB' },
        dateTime: { date: '2026-05-18', time: '16:00', departure: true, local: true },
        paxCount: '5',
        paxSegment: true,
        paxTBD: false,
        timeTBD: false,
      },
    ],
    ...overrides,
  };
}

/** A trip with RFQs sent to `operators` operators, as the broker's manual step does it. */
export async function tripWithRfqs(harness: Harness, operators = 2, body = tripBody()) {
  const trip = (await harness.api('POST', '/trips', { body })).json.data;
  const sent = (await harness.admin('POST', `/trips/${trip.id}/send-rfqs`, { operators })).json.data;
  return { trip, rfqIds: sent.rfqIds as string[], liftIds: sent.liftIds as string[] };
}

export interface ReceivedHook {
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
}

/** A webhook receiver; `statusFor` decides each answer (default 200). */
export async function startReceiver(statusFor: (hook: ReceivedHook, index: number) => number = () => 200) {
  const received: ReceivedHook[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hook = {
        path: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'),
      };
      received.push(hook);
      res.writeHead(statusFor(hook, received.length - 1)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Polls until `check` returns a truthy value (vi.waitUntil); the timeout only bounds a broken run. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 5_000, what = 'condition' } = {},
): Promise<NonNullable<T>> {
  return waitUntil(check, () => what, { timeout: timeoutMs, interval: 10 });
}

export const basic = (value: string) => `Basic ${value}`;
