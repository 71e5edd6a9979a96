// Thin-payload webhook delivery with HTTP Basic, retried with backoff until the horizon, then dropped.
import type { FaultInjector } from './faults.ts';
import type { Stats } from './journal.ts';
import type { MarketStore, WebhookSetting } from './store.ts';

export interface WebhookRetryOptions {
  firstDelayMs: number;
  maxDelayMs: number;
  /** Total scheduled retry delay after which a delivery is dropped (48 h at Avinode). */
  horizonMs: number;
}

export const COMPRESSED_WEBHOOK_RETRY: WebhookRetryOptions = {
  firstDelayMs: 5_000,
  maxDelayMs: 300_000,
  horizonMs: 3_600_000,
};
export const REAL_WEBHOOK_RETRY: WebhookRetryOptions = {
  firstDelayMs: 60_000,
  maxDelayMs: 3_600_000,
  horizonMs: 48 * 3_600_000,
};

export interface WebhookPayload {
  id: string;
  href: string;
  type: string;
  tripId?: string;
}

export interface DeliveryRecord {
  deliveryId: number;
  settingId: string;
  eventType: string;
  targetURI: string;
  payload: WebhookPayload;
  attempts: number;
  state: 'pending' | 'delivered' | 'dropped';
  lastStatus?: number;
  lastError?: string;
  duplicate: boolean;
}

const ATTEMPT_TIMEOUT_MS = 10_000;
const HISTORY_LIMIT = 1000;

export class WebhookDispatcher {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();
  private readonly history: DeliveryRecord[] = [];
  private deliverySeq = 0;
  private generation = 0;
  private closed = false;

  constructor(
    private readonly store: MarketStore,
    private readonly faults: FaultInjector,
    private readonly stats: Stats,
    private readonly retry: WebhookRetryOptions,
    private readonly onError: (message: string, detail: Record<string, unknown>) => void,
  ) {}

  /** Fans an event out to every active subscription that asked for it. */
  publish(eventType: string, payload: WebhookPayload): number {
    if (this.closed) return 0;
    let count = 0;
    for (const setting of this.store.webhookSettings.values()) {
      if (!setting.active || !setting.eventTypes.includes(eventType)) continue;
      const { drop, duplicate, delayMs } = this.faults.forWebhook(eventType);
      if (drop) {
        this.stats.webhooks.dropped += 1;
        this.record(setting, eventType, payload, false).state = 'dropped';
        continue;
      }
      this.start(setting, eventType, payload, false, delayMs);
      if (duplicate) {
        this.stats.webhooks.duplicated += 1;
        this.start(setting, eventType, payload, true, delayMs);
      }
      count += 1;
    }
    return count;
  }

  deliveries(): DeliveryRecord[] {
    return this.history.map((record) => ({ ...record }));
  }

  /** Forgets pending deliveries (the sandbox rebuild drops them with the settings). */
  reset(): void {
    this.generation += 1;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.inFlight) controller.abort();
    for (const record of this.history) if (record.state === 'pending') record.state = 'dropped';
    this.stats.webhooks.pending = 0;
  }

  close(): void {
    this.closed = true;
    this.reset();
  }

  private record(
    setting: WebhookSetting,
    eventType: string,
    payload: WebhookPayload,
    duplicate: boolean,
  ): DeliveryRecord {
    const record: DeliveryRecord = {
      deliveryId: ++this.deliverySeq,
      settingId: setting.id,
      eventType,
      targetURI: setting.targetURI,
      payload,
      attempts: 0,
      state: 'pending',
      duplicate,
    };
    this.history.push(record);
    if (this.history.length > HISTORY_LIMIT) this.history.splice(0, this.history.length - HISTORY_LIMIT);
    return record;
  }

  private start(
    setting: WebhookSetting,
    eventType: string,
    payload: WebhookPayload,
    duplicate: boolean,
    delayMs: number,
  ): void {
    const record = this.record(setting, eventType, payload, duplicate);
    this.stats.webhooks.pending += 1;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'avinode-emulator-webhooks',
    };
    if (setting.clientIdentifier !== undefined || setting.clientSecret !== undefined) {
      const credentials = `${setting.clientIdentifier ?? ''}:${setting.clientSecret ?? ''}`;
      headers.authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
    }
    const generation = this.generation;
    if (delayMs <= 0) {
      void this.attempt(record, headers, 0, generation);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(record, headers, 0, generation);
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  private async attempt(
    record: DeliveryRecord,
    headers: Record<string, string>,
    scheduledSoFarMs: number,
    generation: number,
  ): Promise<void> {
    if (this.closed || generation !== this.generation) return;
    record.attempts += 1;
    this.stats.webhooks.deliveries += 1;
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timeout = setTimeout(() => controller.abort(), ATTEMPT_TIMEOUT_MS);
    try {
      const response = await fetch(record.targetURI, {
        method: 'POST',
        headers,
        body: JSON.stringify(record.payload),
        signal: controller.signal,
        redirect: 'manual',
      });
      await response.arrayBuffer().catch(() => undefined);
      record.lastStatus = response.status;
      delete record.lastError;
      if (response.status === 200) {
        record.state = 'delivered';
        this.stats.webhooks.delivered += 1;
        this.stats.webhooks.pending -= 1;
        return;
      }
    } catch (error) {
      record.lastError = error instanceof Error ? error.message : String(error);
    } finally {
      clearTimeout(timeout);
      this.inFlight.delete(controller);
    }
    if (this.closed || generation !== this.generation) return;
    this.stats.webhooks.failedAttempts += 1;
    const delay = Math.min(this.retry.firstDelayMs * 2 ** (record.attempts - 1), this.retry.maxDelayMs);
    if (scheduledSoFarMs + delay > this.retry.horizonMs) {
      record.state = 'dropped';
      this.stats.webhooks.dropped += 1;
      this.stats.webhooks.pending -= 1;
      this.onError('webhook dropped after retry horizon', {
        eventType: record.eventType,
        settingId: record.settingId,
        attempts: record.attempts,
      });
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(record, headers, scheduledSoFarMs + delay, generation);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }
}
