// The worker's Avinode webhook subscriptions (avinode-api.md §9): one setting per event type, each
// with its own targetURI (payloads name the resource, not the event). The weekly sandbox rebuild
// deletes every setting, so the worker re-checks them periodically and whenever its activities see
// Avinode come back (a trip gone with the wipe, credentials accepted again), and heals what is
// missing: idempotent across restarts and across several workers healing at the same time.
import { WEBHOOK_EVENT_TYPES } from '../workflows/contract.ts';
import type { WebhookSettingInput } from '../activities/avinode/webhooks.ts';
import type { WebhookSetting } from '../activities/avinode/schemas.ts';
import type { AvinodeClient } from '../activities/avinode/client.ts';
import type { Config } from '../platform/config.ts';
import { redactError, type Logger } from '../platform/logging.ts';

export type SubscriptionClient = Pick<
  AvinodeClient,
  'listWebhookSettings' | 'createWebhookSetting' | 'updateWebhookSetting'
>;

export function webhookTargetUri(config: Pick<Config, 'webhooks'>, eventType: string): string {
  const base = (config.webhooks.publicUrl ?? `http://127.0.0.1:${config.webhooks.port}`).replace(/\/+$/, '');
  return `${base}/webhooks/avinode/${eventType}`;
}

export interface SubscriptionCounts {
  created: number;
  /** Settings re-sent in full (at start: a rotated WEBHOOK_PASSWORD takes effect). */
  updated: number;
  /** Our setting existed but was inactive or listened to other event types. */
  reactivated: number;
  /** Extra settings for the same target (left by two workers creating at once), deactivated. */
  deactivated: number;
  unchanged: number;
}

export interface ReconcileOptions {
  /**
   * Re-send every setting in full even when it looks right. Avinode never returns the secret, so a
   * rotated WEBHOOK_PASSWORD can only take effect this way; the worker does it once at start.
   */
  refreshAll?: boolean;
  logger?: Logger;
}

/**
 * Ids compare by their number (`whs-9` before `whs-10`), then as text: every worker picks the same
 * setting to keep, whatever order the list came in.
 */
export function compareSettingIds(a: string, b: string): number {
  const number = (id: string) => {
    const match = /(\d+)$/.exec(id);
    return match ? Number(match[1]) : Number.POSITIVE_INFINITY;
  };
  return number(a) - number(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The setting to keep among those pointing at one target: the lowest-id active one, else the lowest id. */
export function settingToKeep(candidates: readonly WebhookSetting[]): WebhookSetting | undefined {
  const byId = [...candidates].sort((a, b) => compareSettingIds(a.id, b.id));
  return byId.find((setting) => setting.active !== false) ?? byId[0];
}

const listensOnlyTo = (setting: WebhookSetting, eventType: string) =>
  setting.eventTypes !== undefined && setting.eventTypes.length === 1 && setting.eventTypes[0] === eventType;

/**
 * Brings the settings in line: for each event type exactly one active setting whose targetURI is
 * ours. List, create what is missing, then list again — two workers that both found nothing both
 * create, and the second list shows it: every worker keeps the same setting (settingToKeep) and
 * deactivates the others (Avinode documents no delete). The worker that lists last sees every
 * create, so the extras never outlive the slower of two concurrent heals.
 */
export async function reconcileWebhookSubscriptions(
  avinode: SubscriptionClient,
  config: Pick<Config, 'webhooks'>,
  options: ReconcileOptions = {},
): Promise<SubscriptionCounts> {
  const counts: SubscriptionCounts = { created: 0, updated: 0, reactivated: 0, deactivated: 0, unchanged: 0 };
  const wantedFor = (eventType: string): WebhookSettingInput => ({
    targetURI: webhookTargetUri(config, eventType),
    displayName: `charterflow ${eventType}`,
    active: true,
    clientIdentifier: config.webhooks.username,
    clientSecret: config.webhooks.password,
    clientAuthenticationType: 'BASIC',
    eventTypes: [eventType],
  });
  const before = await avinode.listWebhookSettings();
  let createdAny = false;
  for (const eventType of WEBHOOK_EVENT_TYPES) {
    const wanted = wantedFor(eventType);
    const keep = settingToKeep(before.filter((setting) => setting.targetURI === wanted.targetURI));
    if (!keep) {
      await avinode.createWebhookSetting(wanted);
      counts.created += 1;
      createdAny = true;
    } else if (options.refreshAll) {
      await avinode.updateWebhookSetting(keep.id, wanted);
      counts.updated += 1;
    } else if (keep.active === false || !listensOnlyTo(keep, eventType)) {
      await avinode.updateWebhookSetting(keep.id, wanted);
      counts.reactivated += 1;
    } else {
      counts.unchanged += 1;
    }
  }
  // Extras can exist after any heal (another worker's create may land between our list and ours),
  // so the second list runs whenever we created, and the extras of the first list are retired too.
  const after = createdAny ? await avinode.listWebhookSettings() : before;
  for (const eventType of WEBHOOK_EVENT_TYPES) {
    const targetURI = webhookTargetUri(config, eventType);
    const mine = after.filter((setting) => setting.targetURI === targetURI);
    const keep = settingToKeep(mine);
    for (const extra of mine) {
      if (extra.id === keep?.id || extra.active === false) continue;
      await avinode.updateWebhookSetting(extra.id, { active: false });
      counts.deactivated += 1;
    }
  }
  options.logger?.info({ ...counts }, 'webhook subscriptions checked');
  return counts;
}

export type HealReason = 'start' | 'periodic' | 'trip_vanished' | 'credentials_recovered';

export interface WebhookSubscriptionHealerOptions {
  avinode: SubscriptionClient;
  config: Pick<Config, 'webhooks'>;
  logger?: Logger;
  /** Between periodic checks; 0 = only at start and when nudged. */
  intervalMs: number;
}

/**
 * Keeps the subscriptions healed for one worker process: a check at start (re-sending every setting),
 * then every `intervalMs`, and soon after a nudge. Checks never overlap: nudges during a check
 * coalesce into one more check after it, so a hundred runs seeing the wipe at once cost two checks.
 */
export class WebhookSubscriptionHealer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The one check waiting for the running one; later nudges join it. */
  private queued: Promise<void> | undefined;
  private stopped = false;
  private lastCounts: SubscriptionCounts | undefined;
  private checks = 0;

  constructor(private readonly options: WebhookSubscriptionHealerOptions) {}

  /** The check at start; its failure is the caller's (the worker does not start without subscriptions). */
  async start(): Promise<SubscriptionCounts> {
    const counts = await reconcileWebhookSubscriptions(this.options.avinode, this.options.config, {
      refreshAll: true,
      ...(this.options.logger ? { logger: this.options.logger } : {}),
    });
    this.lastCounts = counts;
    this.checks += 1;
    this.schedule();
    return counts;
  }

  /** Asks for a check soon (activities call this when Avinode comes back from a wipe or a credential outage). */
  nudge(reason: HealReason): void {
    void this.check(reason);
  }

  /**
   * A check that starts after this call: at once, or after the one in flight (which may have listed
   * before the change that prompted this call). Failures are logged, never thrown.
   */
  check(reason: HealReason): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.queued) return this.queued;
    if (!this.running) return this.begin(reason);
    this.queued = this.running.then(() => {
      this.queued = undefined;
      return this.stopped ? undefined : this.begin(reason);
    });
    return this.queued;
  }

  get status(): { checks: number; lastCounts?: SubscriptionCounts } {
    return { checks: this.checks, ...(this.lastCounts ? { lastCounts: this.lastCounts } : {}) };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.queued;
    await this.running;
  }

  private begin(reason: HealReason): Promise<void> {
    this.running = this.runCheck(reason).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runCheck(reason: HealReason): Promise<void> {
    const { logger } = this.options;
    try {
      const counts = await reconcileWebhookSubscriptions(this.options.avinode, this.options.config);
      this.lastCounts = counts;
      this.checks += 1;
      const healed = counts.created + counts.reactivated + counts.deactivated;
      if (healed > 0) logger?.warn({ reason, ...counts }, 'webhook subscriptions healed');
      else logger?.debug({ reason }, 'webhook subscriptions intact');
    } catch (error) {
      // The next periodic check (or nudge) tries again; credentials may still be wiped.
      logger?.warn({ reason, err: redactError(error) }, 'webhook subscription check failed; retried at the next check');
    } finally {
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.stopped || this.options.intervalMs <= 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check('periodic'), this.options.intervalMs);
    this.timer.unref();
  }
}
