// The worker's webhook subscriptions against the emulator: healed after the weekly wipe, and exactly
// one active setting per event type when several workers heal at the same moment.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../emulator/index.ts';
import type { WebhookSetting } from '../../../activities/avinode/schemas.ts';
import { describeSubscriptions } from '../../../client/doctor.ts';
import { loadConfig } from '../../../platform/config.ts';
import {
  reconcileWebhookSubscriptions,
  settingToKeep,
  WebhookSubscriptionHealer,
  webhookTargetUri,
  type SubscriptionClient,
} from '../../../workers/webhook-subscriptions.ts';
import { WEBHOOK_EVENT_TYPES } from '../../../workflows/contract.ts';
import { admin, clientFor, envFor, tokenSourceFor, type Emulator } from './helpers.ts';

let emulator: Emulator;
let client: ReturnType<typeof clientFor>;
let config: ReturnType<typeof loadConfig>;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = clientFor(emulator, tokenSourceFor(emulator));
  config = loadConfig(envFor(emulator, { WEBHOOK_PUBLIC_URL: 'http://127.0.0.1:9/receiver' }));
});
afterAll(async () => {
  await client?.close();
  await emulator?.close();
});
afterEach(async () => {
  await admin(emulator, 'POST', '/_emulator/reset', {});
});

/** Settings at our targets, per event type. */
async function oursByEventType(): Promise<Record<string, WebhookSetting[]>> {
  const settings = await client.listWebhookSettings();
  return Object.fromEntries(
    WEBHOOK_EVENT_TYPES.map((eventType) => [
      eventType,
      settings.filter((setting) => setting.targetURI === webhookTargetUri(config, eventType)),
    ]),
  );
}

/**
 * A client whose first list call waits until `parties` callers have listed: every healer then
 * decides on the same empty list — the race of workers starting (or healing) at one moment.
 */
function listingTogether(parties: number): () => SubscriptionClient {
  let arrived = 0;
  let release!: () => void;
  const barrier = new Promise<void>((resolve) => (release = resolve));
  return () => {
    let listed = false;
    return {
      createWebhookSetting: (setting) => client.createWebhookSetting(setting),
      updateWebhookSetting: (id, setting) => client.updateWebhookSetting(id, setting),
      listWebhookSettings: async () => {
        const settings = await client.listWebhookSettings();
        if (listed) return settings;
        listed = true;
        arrived += 1;
        if (arrived === parties) release();
        await barrier;
        return settings;
      },
    };
  };
}

describe('webhook subscriptions', () => {
  it('creates one active setting per event type at our target, and a second check changes nothing', async () => {
    const first = await reconcileWebhookSubscriptions(client, config);
    expect(first).toMatchObject({ created: WEBHOOK_EVENT_TYPES.length, deactivated: 0 });
    const again = await reconcileWebhookSubscriptions(client, config);
    expect(again).toEqual({
      created: 0,
      updated: 0,
      reactivated: 0,
      deactivated: 0,
      unchanged: WEBHOOK_EVENT_TYPES.length,
    });
    for (const [eventType, settings] of Object.entries(await oursByEventType())) {
      expect(settings).toHaveLength(1);
      expect(settings[0]).toMatchObject({
        active: true,
        eventTypes: [eventType],
        clientIdentifier: config.webhooks.username,
      });
    }
  });

  it('two healers deciding on the same empty list end with one active setting per event type, the extras deactivated', async () => {
    const racing = listingTogether(2);
    const [a, b] = await Promise.all([
      reconcileWebhookSubscriptions(racing(), config),
      reconcileWebhookSubscriptions(racing(), config),
    ]);
    // Both really created (the race happened), and between them they retired every extra.
    expect(a.created + b.created).toBe(2 * WEBHOOK_EVENT_TYPES.length);
    expect(a.deactivated + b.deactivated).toBeGreaterThanOrEqual(WEBHOOK_EVENT_TYPES.length);
    for (const settings of Object.values(await oursByEventType())) {
      expect(settings).toHaveLength(2);
      expect(settings.filter((setting) => setting.active !== false)).toHaveLength(1);
      expect(settingToKeep(settings)!.active).toBe(true);
    }
    // A later check reuses what is there: no third setting, still one active per event type.
    const later = await reconcileWebhookSubscriptions(client, config);
    expect(later).toMatchObject({ created: 0, deactivated: 0 });
    for (const settings of Object.values(await oursByEventType()))
      expect(settings.filter((s) => s.active !== false)).toHaveLength(1);
  });

  it('re-activates a deactivated subscription and narrows one that listens to other event types', async () => {
    await reconcileWebhookSubscriptions(client, config);
    const byType = await oursByEventType();
    await client.updateWebhookSetting(byType.TripRequestMine![0]!.id, { active: false });
    await client.updateWebhookSetting(byType.TripChatFromSeller![0]!.id, {
      eventTypes: ['TripChatFromSeller', 'TripChatMine'],
    });
    const healed = await reconcileWebhookSubscriptions(client, config);
    expect(healed).toMatchObject({ created: 0, reactivated: 2 });
    const after = await oursByEventType();
    expect(after.TripRequestMine).toMatchObject([{ id: byType.TripRequestMine![0]!.id, active: true }]);
    expect(after.TripChatFromSeller).toMatchObject([{ eventTypes: ['TripChatFromSeller'] }]);
  });

  it('a periodic healer re-creates the subscriptions after the weekly wipe, without a restart', async () => {
    const healer = new WebhookSubscriptionHealer({ avinode: client, config, intervalMs: 50 });
    try {
      await healer.start();
      await admin(emulator, 'POST', '/_emulator/reset', {});
      expect((await client.listWebhookSettings()).length).toBe(0);
      await expect
        .poll(async () => describeSubscriptions(await client.listWebhookSettings(), config).missing, {
          timeout: 20_000,
          interval: 25,
        })
        .toEqual([]);
    } finally {
      await healer.stop();
    }
  });

  it('nudges during a check coalesce into one more check after it', async () => {
    let lists = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const counting: SubscriptionClient = {
      createWebhookSetting: (setting) => client.createWebhookSetting(setting),
      updateWebhookSetting: (id, setting) => client.updateWebhookSetting(id, setting),
      listWebhookSettings: async () => {
        lists += 1;
        if (lists === 1) await held;
        return client.listWebhookSettings();
      },
    };
    const healer = new WebhookSubscriptionHealer({ avinode: counting, config, intervalMs: 0 });
    const first = healer.check('trip_vanished');
    const joined = [
      healer.check('trip_vanished'),
      healer.check('credentials_recovered'),
      healer.check('trip_vanished'),
    ];
    release();
    await Promise.all([first, ...joined]);
    // One check in flight plus one after it (each lists once, twice when it created), not four.
    expect(healer.status.checks).toBe(2);
    await healer.stop();
  });

  it('doctor lines name each setting with its event types, target and state, and what is missing', async () => {
    await reconcileWebhookSubscriptions(client, config);
    const mine = (await oursByEventType()).TripRequestMine![0]!;
    await client.updateWebhookSetting(mine.id, { active: false });
    const { found, missing } = describeSubscriptions(await client.listWebhookSettings(), config);
    expect(found).toHaveLength(WEBHOOK_EVENT_TYPES.length);
    expect(found).toContain(`${mine.id}: TripRequestMine → ${webhookTargetUri(config, 'TripRequestMine')} (inactive)`);
    expect(missing).toEqual([`TripRequestMine → ${webhookTargetUri(config, 'TripRequestMine')}`]);
  });
});
