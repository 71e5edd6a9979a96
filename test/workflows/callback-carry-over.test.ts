// A callback receiver that hangs must not hold a run back from continuing as new; the events it
// has not acknowledged move to the next run and are delivered there, in order, none lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallbackEvent } from '../../workflows/contract.ts';
import {
  FakeAvinode,
  keepHistory,
  oneWay,
  secretsIn,
  setupTemporal,
  startTrip,
  waitForProgress,
  withWorker,
  type TemporalEnv,
} from './support.ts';

let env: TemporalEnv;
beforeAll(async () => {
  env = await setupTemporal();
});
afterAll(async () => {
  await env?.close();
});

describe('callback delivery across continue-as-new', () => {
  it('continues as new while the receiver hangs and later delivers every event id exactly in order', async () => {
    const fake = new FakeAvinode();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const acknowledged: CallbackEvent[] = [];
    const activities = fake.activities({
      async deliverCallback({ event }) {
        await released;
        acknowledged.push(event);
        return { status: 204 };
      },
    });
    await withWorker(env, activities, async (taskQueue) => {
      const timing = {
        pollInitialMs: 50,
        pollMaxMs: 100,
        credentialRecheckMs: 1_000,
        continueAsNewAfterEvents: 40,
        callbackDrainMs: 100,
      };
      const { handle, started } = await startTrip(
        env,
        taskQueue,
        oneWay({ endWhenAllAnswered: true, timing, callbackUrl: 'https://backend.example/hooks' }),
      );
      const rfqs = fake.sendRfqs(started.atripId, 2);
      fake.quote(rfqs[0]!, 30_000);
      // The receiver has not acknowledged anything, yet the run moves on.
      await waitForProgress(handle, (p) => p.continuedAsNew >= 1, 'a continue-as-new while callbacks hang');
      expect(acknowledged).toHaveLength(0);
      release();
      fake.quote(rfqs[1]!, 31_000);
      const result = await handle.result();
      expect(result.phase).toBe('completed');
      // Delivery is at least once (an event in flight at the hand-over is sent again); ids make it exactly once.
      const ids = [...new Set(acknowledged.map((event) => event.eventId))];
      const sequence = ids.map((id) => Number(id.split('/').at(-1)));
      expect(sequence).toEqual(sequence.map((_, index) => index + 1));
      const delivered = new Map(acknowledged.map((event) => [event.eventId, event]));
      const types = [...delivered.values()].map(
        (event) => `${event.type}${event.type === 'phase_changed' ? `:${event.phase}` : ''}`,
      );
      expect(types[0]).toBe('phase_changed:creating_trip');
      expect(types).toContain('deep_link_ready');
      expect(types.filter((type) => type === 'quote_received')).toHaveLength(2);
      expect(types.at(-1)).toBe('phase_changed:completed');
      await keepHistory(env, handle, 'callback-carry-over');
      expect(secretsIn(env.histories.map((history) => history.text).join('\n'))).toEqual([]);
    });
  });
});
