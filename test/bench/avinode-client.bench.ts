// The Avinode client and token layer against the emulator over loopback HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index.ts';
import { clientFor, futureDate, tokenSourceFor, type Emulator } from '../integration/avinode/helpers.ts';
import { percentile, report, runConcurrently, target } from './support.ts';

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    autopilot: { enabled: false, sendRfqsAfterMs: 0, operators: 0, quoteAfterMs: 0 },
  });
});
afterAll(async () => {
  await emulator?.close();
});

describe('Avinode client throughput', () => {
  it('creates at least 300 trips per second with 32 calls in flight, p95 under 250 ms', async () => {
    const client = clientFor(emulator, tokenSourceFor(emulator));
    const trip = { legs: [{ from: 'KTEB', to: 'KPBI', date: futureDate(), time: '09:30', pax: 5 }] };
    try {
      await runConcurrently(100, 16, (i) => client.createTrip(trip, `bench-warm-${i}`));
      const count = 2_000;
      const started = performance.now();
      const latencies = await runConcurrently(count, 32, (i) => client.createTrip(trip, `bench-${i}`));
      const seconds = (performance.now() - started) / 1000;
      const perSecond = count / seconds;
      report('avinode-client.create-trip', {
        trips: count,
        perSecond,
        p50Ms: percentile(latencies, 50),
        p95Ms: percentile(latencies, 95),
      });
      target('avinode-client.create-trip', 'perSecond', perSecond, '>=', 300);
      target('avinode-client.create-trip', 'p95Ms', percentile(latencies, 95), '<', 250);
    } finally {
      await client.close();
    }
  });

  it('reads a trip with its RFQs at least 500 times per second with 32 calls in flight', async () => {
    const client = clientFor(emulator, tokenSourceFor(emulator));
    try {
      const created = await client.createTrip(
        { legs: [{ from: 'KTEB', to: 'KPBI', date: futureDate(), pax: 5 }] },
        'bench-read',
      );
      await emulator.admin.sendRfqs(created.atripId, 5);
      const count = 4_000;
      const started = performance.now();
      const latencies = await runConcurrently(count, 32, () => client.readTrip(created.atripId));
      const perSecond = count / ((performance.now() - started) / 1000);
      report('avinode-client.read-trip', {
        reads: count,
        perSecond,
        p50Ms: percentile(latencies, 50),
        p95Ms: percentile(latencies, 95),
      });
      target('avinode-client.read-trip', 'perSecond', perSecond, '>=', 500);
    } finally {
      await client.close();
    }
  });

  it('serves 1,000 concurrent callers on a cold cache with one token request in under 500 ms', async () => {
    const before = (await emulator.admin.stats()).tokenRequests.total;
    const source = tokenSourceFor(emulator);
    const started = performance.now();
    await Promise.all(Array.from({ length: 1_000 }, () => source.getToken()));
    const elapsedMs = performance.now() - started;
    const tokenRequests = (await emulator.admin.stats()).tokenRequests.total - before;
    report('token-layer.cold-fan-in', { callers: 1_000, tokenRequests, elapsedMs });
    expect(tokenRequests).toBe(1);
    target('token-layer.cold-fan-in', 'elapsedMs', elapsedMs, '<', 500);
  });
});
