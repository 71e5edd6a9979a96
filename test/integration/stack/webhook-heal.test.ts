// The weekly wipe deletes the webhook settings too. A worker that keeps running re-creates them as
// soon as a run notices the wipe (the trip answers NOT_FOUND, or credentials work again) — here with
// the periodic check off, so only that nudge can have healed them — and a new trip's webhooks arrive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSubscriptions } from '../../../client/doctor.ts';
import { isTerminal, oneWayRequest, startStack, waitForProgress, waitUntil, type Stack } from './harness.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { WEBHOOK_SUBSCRIPTION_CHECK_MS: '0' } });
});
afterAll(async () => {
  await stack?.close();
});

const missingSubscriptions = async () => {
  const settings = await stack.worker!.avinode.listWebhookSettings();
  return describeSubscriptions(settings, stack.config).missing;
};

describe('webhook subscriptions after the weekly sandbox wipe', () => {
  it('are re-created without a worker restart once a run sees the wipe, and a new trip’s webhooks arrive', async () => {
    expect(await missingSubscriptions()).toEqual([]);
    const before = await stack.emulator.admin.webhookDeliveries();

    const running = oneWayRequest();
    const first = await stack.charter.startTrip(running);

    // The wipe regenerates the connection's secret and API token; the operator restores them.
    await stack.emulator.admin.reset({ wipeCredentials: true });
    expect((await stack.emulator.admin.stats()).live.webhookSettings).toBe(0);
    await stack.emulator.admin.updateCredentials({
      clientSecret: stack.env.AVINODE_CLIENT_SECRET!,
      apiToken: stack.env.AVINODE_API_TOKEN!,
      revokeTokens: true,
    });

    // The run finds its trip gone and re-creates it; the worker heals its subscriptions meanwhile.
    const recreated = await waitForProgress(
      stack,
      running.externalId,
      (p) => p.resets >= 1 && p.phase === 'awaiting_rfqs' && p.atripId !== first.atripId,
    );
    await waitUntil(async () => (await missingSubscriptions()).length === 0, 'subscriptions re-created');
    const settings = await stack.worker!.avinode.listWebhookSettings();
    expect(settings.filter((setting) => setting.active !== false)).toHaveLength(3);
    expect(stack.logs()).toContain('webhook subscriptions healed');

    // A new trip whose quote can only arrive by webhook: its first poll is ten minutes away.
    const fresh = oneWayRequest({ timing: { pollInitialMs: 600_000, pollMaxMs: 600_000, credentialRecheckMs: 300 } });
    const trip = await stack.charter.startTrip(fresh);
    const { rfqIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 1);
    await stack.emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 18_400, currency: 'USD' });
    const quoted = await waitForProgress(stack, fresh.externalId, (p) => p.phase === 'awaiting_selection');
    expect(quoted.counts.webhooks).toBeGreaterThan(0);
    expect(quoted.quotes).toMatchObject([{ price: 18_400, currency: 'USD' }]);
    const delivered = (await stack.emulator.admin.webhookDeliveries()).filter(
      (delivery) => delivery.state === 'delivered' && !before.some((old) => old.deliveryId === delivery.deliveryId),
    );
    expect(delivered.map((delivery) => delivery.targetURI)).toContain(
      `${stack.webhooks.url}/webhooks/avinode/TripRequestSellerResponse`,
    );

    for (const request of [running, fresh]) {
      await stack.charter.cancelTrip(request.externalId, { reason: 'BY_CLIENT' });
      await waitForProgress(stack, request.externalId, isTerminal);
    }
    expect(recreated.resets).toBe(1);
  });
});
