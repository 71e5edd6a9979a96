// The delay_response fault: the call is handled first (a POST stores its trip), then the answer is
// held. This is the ambiguous create a client sees when it dies or times out mid-call.
import { afterEach, describe, expect, it } from 'vitest';
import { parseFaultFlag } from '../../emulator/index.ts';
import { startHarness, tripBody, waitFor, type Harness } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.emu.close();
  h = undefined;
});

async function apiHeaders(harness: Harness): Promise<Record<string, string>> {
  return {
    authorization: `Bearer ${await harness.token()}`,
    'x-avinode-apitoken': harness.emu.credentials.apiToken,
    'x-avinode-senttimestamp': new Date(harness.clock.now()).toISOString(),
    'content-type': 'application/json',
    accept: 'application/json',
  };
}

describe('delay_response fault', () => {
  it('stores the trip before the held POST /api/trips answer is sent', async () => {
    h = await startHarness();
    const harness = h;
    await harness.admin('PUT', '/faults', {
      rules: [{ route: 'POST /api/trips', kind: 'delay_response', latencyMs: 60_000, times: 1 }],
    });
    const abort = new AbortController();
    let answered = false;
    const pending = fetch(`${harness.emu.apiBaseUrl}/trips`, {
      method: 'POST',
      headers: await apiHeaders(harness),
      body: JSON.stringify(tripBody({ externalTripId: 'held-1' })),
      signal: abort.signal,
    }).then(
      () => (answered = true),
      () => undefined,
    );

    // The trip exists and can be found while its creator is still waiting for the answer.
    await waitFor(async () => (await harness.admin('GET', '/stats')).json.data.tripsByExternalId['held-1'] === 1, {
      what: 'the trip stored',
    });
    const found = await harness.api('GET', '/trips?externalTripId=held-1');
    expect(found.status).toBe(200);
    expect(found.json.data).toHaveLength(1);
    expect(answered).toBe(false);

    // The client gives up: the hold ends at once, and the journal says the answer never reached it.
    abort.abort();
    await pending;
    const entry = await waitFor(
      async () =>
        (
          (await harness.admin('GET', '/requests?route=POST%20/api/trips')).json.data as {
            fault?: string;
            clientGone?: boolean;
            status: number;
          }[]
        ).at(-1),
      { what: 'the journal entry of the held POST' },
    );
    expect(entry).toMatchObject({ status: 201, fault: 'delay_response', clientGone: true });
    expect(found.json.data[0].id).toBe((entry as { responseBody?: { data?: { id?: string } } }).responseBody?.data?.id);
    expect((await harness.admin('GET', '/stats')).json.data.faultsInjected).toEqual({ delay_response: 1 });
  });

  it('delivers the stored trip once latencyMs has passed, then stops after `times`', async () => {
    h = await startHarness();
    await h.admin('PUT', '/faults', {
      rules: [{ route: 'POST /api/trips', kind: 'delay_response', latencyMs: 50, times: 1 }],
    });
    const started = performance.now();
    const held = await h.api('POST', '/trips', { body: tripBody({ externalTripId: 'held-2' }) });
    expect(held.status).toBe(201);
    expect(performance.now() - started).toBeGreaterThanOrEqual(40); // a lower bound only: slowness cannot make it fail
    expect((await h.api('POST', '/trips', { body: tripBody({ externalTripId: 'held-3' }) })).status).toBe(201);
    const journal = (await h.admin('GET', '/requests?route=POST%20/api/trips')).json.data as {
      fault?: string;
      clientGone?: boolean;
    }[];
    expect(journal.map((entry) => entry.fault)).toEqual(['delay_response', undefined]);
    expect(journal.every((entry) => entry.clientGone === undefined)).toBe(true);
    expect((await h.admin('GET', '/faults')).json.data.rules).toEqual([]);
  });

  it('holds only the answer of the matching route; other routes answer at once', async () => {
    h = await startHarness();
    await h.admin('PUT', '/faults', {
      rules: [{ route: 'POST /api/trips', kind: 'delay_response', latencyMs: 60_000 }],
    });
    const found = await h.api('GET', '/trips?externalTripId=nothing');
    expect(found.status).toBe(200);
    expect(found.json.data).toEqual([]);
  });

  it('requires latencyMs, in the admin API and on the command line', async () => {
    h = await startHarness();
    const rejected = await h.admin('PUT', '/faults', { rules: [{ route: 'POST /api/trips', kind: 'delay_response' }] });
    expect(rejected.status).toBe(400);
    expect(JSON.stringify(rejected.json)).toContain('latencyMs: required for kind delay_response');
    expect(parseFaultFlag('delay_response@POST /api/trips,latencyMs=500,times=1')).toEqual({
      kind: 'delay_response',
      route: 'POST /api/trips',
      latencyMs: 500,
      times: 1,
    });
    expect(() => parseFaultFlag('delay_response@POST /api/trips')).toThrow(/latencyMs/);
  });
});
