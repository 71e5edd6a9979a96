// Options of the emulator and their defaults.
import type { EmulatorCredentials } from './avinode-auth.ts';
import type { FaultRule } from './faults.ts';
import type { AutopilotOptions } from './marketplace.ts';
import type { PartialPartners } from './partners.ts';
import type { WebhookRetryOptions } from './webhooks.ts';

/** Anything pino-like: pino's Logger fits. */
export interface EmulatorLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  /** Optional: one line per request (method, route, status, duration). */
  debug?(obj: object, msg?: string): void;
}

/** Switches of inferred behaviours that tests (and scripts) flip at runtime: `GET|PUT /_emulator/settings`. */
export interface EmulatorSettings {
  /** See EmulatorOptions.searchByExternalId. */
  searchByExternalId: 'on' | 'off';
}

export interface EmulatorOptions {
  /** 0 = a free port; default 8280. */
  port?: number;
  /**
   * Render the response fields Avinode does not document (default true): a decline message's
   * `declineReason`, an RFQ's `cancellation`, a trip's reported `outcome`. Off, reads carry only
   * documented fields, so a test proves charterflow does not depend on them.
   */
  inferredShapes?: boolean;
  /** A bad airport code on POST /trips: `soft` (default, documented: 201 + meta.errors) or `hard` (422, no trip). */
  badAirport?: 'soft' | 'hard';
  /** Default 127.0.0.1. */
  host?: string;
  /** Default: LOCAL_AVINODE_DEFAULTS from platform/config.ts. */
  credentials?: Partial<EmulatorCredentials>;
  /** Origin used in hrefs and deep links; default the listening origin. */
  publicBaseUrl?: string;
  /** Accepted |X-Avinode-SentTimestamp − now|; default 5 minutes. */
  clockSkewToleranceMs?: number;
  /** Token requests per rolling minute before the token endpoint answers 429; default 60. */
  tokenRequestsPerMinute?: number;
  autopilot?: AutopilotOptions;
  /** Default COMPRESSED_WEBHOOK_RETRY (first retry after 5 s); REAL_WEBHOOK_RETRY has the 48 h horizon. */
  webhookRetry?: WebhookRetryOptions;
  /** The weekly wipe, Mondays 06:00 UTC on the emulator clock. */
  resetSchedule?: { enabled: boolean; wipeCredentials?: boolean };
  /** Injectable clock (ms since epoch); default Date.now. */
  now?: () => number;
  logger?: EmulatorLogger;
  /** Registered credentials of the other partners; default EMULATOR_PARTNER_DEFAULTS. */
  partners?: PartialPartners;
  /** Initial fault rules (the CLI's --fault flags). */
  faults?: FaultRule[];
  /** Seed of the PRNG behind probability faults, short trip ids and the autopilot; default 1. */
  seed?: number;
  /**
   * Added to every numeric id (atrip-, arfq-, aquote-, …); default 0. `charterflow start` keeps
   * Temporal's history across restarts, so it starts each emulator in a fresh id range.
   */
  idOffset?: number;
  /**
   * [inferred] `GET /api/trips?externalTripId=` answers the trips carrying that id. "Search trips" is
   * listed in the reference without its parameters; `off` answers it as the sandbox answers a trip
   * search it does not support (bare `GET /trips`: 500 `ERR_INTERNAL_CRITICAL`). Default `on`;
   * switchable at runtime (`PUT /_emulator/settings`).
   */
  searchByExternalId?: 'on' | 'off';
  /** Largest accepted request body; default 1 MiB. */
  maxBodyBytes?: number;
  /** Journal ring-buffer size; default 2000. */
  journalSize?: number;
}

export const DEFAULT_EMULATOR_PORT = 8280;

/** A lively marketplace for `npm start`. */
export const DEFAULT_AUTOPILOT: AutopilotOptions = {
  enabled: true,
  sendRfqsAfterMs: 5_000,
  operators: 3,
  quoteAfterMs: 8_000,
  declineRatio: 0.25,
  repriceAfterMs: 30_000,
  chatRatio: 0.3,
  chatReplyRatio: 0.6,
};
