// A typed client of the admin API (/_emulator), for tests and scripts in other processes.
import type { EmulatorCredentials } from './avinode-auth.ts';
import type { FaultRule } from './faults.ts';
import type { JournalEntry, Stats } from './journal.ts';
import type { AutopilotOptions, RespondInput, RespondResult } from './marketplace.ts';
import type { EmulatorSettings } from './options.ts';
import type { DeliveryRecord } from './webhooks.ts';

export type { JournalEntry, Stats } from './journal.ts';
export type { RespondResult } from './marketplace.ts';
export type { DeliveryRecord } from './webhooks.ts';

export class EmulatorAdminError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
    readonly codes: string[],
  ) {
    super(`emulator admin ${path} answered ${status}${codes.length ? ` (${codes.join(', ')})` : ''}`);
    this.name = 'EmulatorAdminError';
  }
}

export interface EmulatorStats extends Stats {
  now: string;
  live: {
    trips: number;
    rfqs: number;
    quotes: number;
    messages: number;
    webhookSettings: number;
    activeTokens: number;
    /** Trips not cancelled, per externalTripId (unlike the cumulative `tripsByExternalId`). */
    activeTripsByExternalId: Record<string, number>;
  };
  faults: FaultRule[];
}

export type CredentialsChange = Partial<Omit<EmulatorCredentials, 'staticBearerToken'>> & {
  staticBearerToken?: string | null;
  rotate?: boolean;
  revokeTokens?: boolean;
};

export interface EmulatorAdmin {
  reset(options?: { wipeCredentials?: boolean }): Promise<{ resetAt: string; credentials?: EmulatorCredentials }>;
  sendRfqs(atripId: string, operators?: number, liftsPerRfq?: number): Promise<{ rfqIds: string[]; liftIds: string[] }>;
  /** The broker cancels one RFQ in the web UI. */
  cancelRfq(
    arfqId: string,
    cancellation?: { reason?: string; message?: string },
  ): Promise<{ rfqId: string; status: string }>;
  respond(arfqId: string, input: RespondInput): Promise<RespondResult>;
  setFaults(rules: FaultRule[], seed?: number): Promise<FaultRule[]>;
  clearFaults(): Promise<void>;
  faults(): Promise<FaultRule[]>;
  requests(filter?: { route?: string; limit?: number; sinceSeq?: number }): Promise<JournalEntry[]>;
  clearRequests(): Promise<void>;
  stats(): Promise<EmulatorStats>;
  webhookDeliveries(): Promise<DeliveryRecord[]>;
  revokeTokens(token?: string): Promise<{ revoked: number }>;
  credentials(): Promise<EmulatorCredentials>;
  updateCredentials(change: CredentialsChange): Promise<EmulatorCredentials>;
  clock(change?: {
    advanceMs?: number;
    set?: string;
  }): Promise<{ now: string; offsetMs: number; nextScheduledReset?: string }>;
  autopilot(change?: Partial<AutopilotOptions>): Promise<AutopilotOptions>;
  /** Switches of inferred behaviours, read or changed at runtime (`GET|PUT /_emulator/settings`). */
  settings(change?: Partial<EmulatorSettings>): Promise<EmulatorSettings>;
}

/** `url` is the emulator origin (RunningEmulator.url), not the API base. */
export function emulatorAdmin(url: string): EmulatorAdmin {
  const origin = url.replace(/\/+$/, '');
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${origin}/_emulator${path}`, {
      method,
      ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json().catch(() => undefined)) as
      { data?: T; meta?: { errors?: { code: string }[] } } | undefined;
    if (!res.ok)
      throw new EmulatorAdminError(
        res.status,
        `${method} /_emulator${path}`,
        json?.meta?.errors?.map((e) => e.code) ?? [],
      );
    return json?.data as T;
  }
  const query = (filter: Record<string, string | number | undefined>) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(filter)) if (value !== undefined) params.set(key, String(value));
    const text = params.toString();
    return text ? `?${text}` : '';
  };
  return {
    reset: (options = {}) => call('POST', '/reset', options),
    sendRfqs: (atripId, operators = 3, liftsPerRfq) =>
      call('POST', `/trips/${encodeURIComponent(atripId)}/send-rfqs`, {
        operators,
        ...(liftsPerRfq !== undefined ? { liftsPerRfq } : {}),
      }),
    cancelRfq: (arfqId, cancellation = {}) => call('POST', `/rfqs/${encodeURIComponent(arfqId)}/cancel`, cancellation),
    respond: (arfqId, input) => call('POST', `/rfqs/${encodeURIComponent(arfqId)}/respond`, input),
    setFaults: async (rules, seed) =>
      (await call<{ rules: FaultRule[] }>('PUT', '/faults', { rules, ...(seed !== undefined ? { seed } : {}) })).rules,
    clearFaults: async () => {
      await call('DELETE', '/faults');
    },
    faults: async () => (await call<{ rules: FaultRule[] }>('GET', '/faults')).rules,
    requests: (filter = {}) => call('GET', `/requests${query(filter)}`),
    clearRequests: async () => {
      await call('DELETE', '/requests');
    },
    stats: () => call('GET', '/stats'),
    webhookDeliveries: () => call('GET', '/webhooks'),
    revokeTokens: (token) => call('POST', '/tokens/revoke', token !== undefined ? { token } : {}),
    credentials: () => call('GET', '/credentials'),
    updateCredentials: (change) => call('PUT', '/credentials', change),
    clock: (change) => (change ? call('POST', '/clock', change) : call('GET', '/clock')),
    autopilot: (change) => (change ? call('PUT', '/autopilot', change) : call('GET', '/autopilot')),
    settings: (change) => (change ? call('PUT', '/settings', change) : call('GET', '/settings')),
  };
}
