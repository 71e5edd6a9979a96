// The Avinode sandbox emulator: node:http, state in memory, one registered API connection.
// Never imported by production code paths (design.md §3); `charterflow start` and tests start it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../platform/config.ts';
import { emulatorAdmin, type EmulatorAdmin } from './admin-client.ts';
import type { EmulatorCredentials } from './avinode-auth.ts';
import { DEFAULT_EMULATOR_PORT, type EmulatorOptions } from './options.ts';
import type { PartnerCredentials } from './partners.ts';
import { Emulator } from './server.ts';

export { emulatorAdmin, EmulatorAdminError } from './admin-client.ts';
export type {
  CredentialsChange,
  DeliveryRecord,
  EmulatorAdmin,
  EmulatorStats,
  JournalEntry,
  RespondResult,
} from './admin-client.ts';
export type { EmulatorCredentials } from './avinode-auth.ts';
export type { FaultRule, FaultKind } from './faults.ts';
export { FAULT_KINDS, parseFaultFlag } from './faults.ts';
export type { AutopilotOptions, RespondInput } from './marketplace.ts';
export type { EmulatorLogger, EmulatorOptions, EmulatorSettings } from './options.ts';
export { DEFAULT_AUTOPILOT, DEFAULT_EMULATOR_PORT } from './options.ts';
export type { PartnerCredentials, PartialPartners } from './partners.ts';
export { EMULATOR_PARTNER_DEFAULTS } from './partners.ts';
export { nextScheduledReset } from './server.ts';
export type { WebhookRetryOptions } from './webhooks.ts';
export { COMPRESSED_WEBHOOK_RETRY, REAL_WEBHOOK_RETRY } from './webhooks.ts';

export interface RunningEmulator {
  /** Origin, e.g. http://127.0.0.1:PORT. */
  url: string;
  /** url + '/api'. */
  apiBaseUrl: string;
  /** The currently registered connection credentials (follows rotations and resets). */
  readonly credentials: EmulatorCredentials;
  /** apiBaseUrl + '/oauth/token'. */
  tokenUrl: string;
  /** Registered credentials of Avionté, Avvail and AirVantage. */
  partners: PartnerCredentials;
  /** Typed client of the admin API of this instance (same as emulatorAdmin(url)). */
  admin: EmulatorAdmin;
  close(): Promise<void>;
}

/** The emulator connection that matches a loaded configuration (what `charterflow emulator` and `start` register). */
export function emulatorCredentialsFromConfig(
  avinode: Pick<Config['avinode'], 'apiToken' | 'clientAuthMethod' | 'clientId' | 'clientSecret' | 'bearerToken'>,
): Partial<EmulatorCredentials> {
  return {
    apiToken: avinode.apiToken,
    authMethod: avinode.clientAuthMethod,
    ...(avinode.clientId ? { clientId: avinode.clientId } : {}),
    ...(avinode.clientSecret ? { clientSecret: avinode.clientSecret } : {}),
    ...(avinode.bearerToken ? { staticBearerToken: avinode.bearerToken } : {}),
  };
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const emulator = new Emulator(options);
  const server: Server = createServer((req, res) => {
    emulator.handle(req, res).catch((error: unknown) => {
      // Last line of defence: handle() already turns handler errors into replies.
      options.logger?.error(
        { err: error instanceof Error ? error.message : String(error) },
        'emulator failed to answer',
      );
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end();
    });
  });
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 60_000;
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_EMULATOR_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  emulator.origin = url;
  options.logger?.info({ url }, 'emulator listening');
  // Also wipe an idle sandbox on time; requests check the schedule themselves.
  const scheduleTimer = options.resetSchedule?.enabled
    ? setInterval(() => emulator.runScheduledReset(), 30_000).unref()
    : undefined;
  let closing: Promise<void> | undefined;
  return {
    url,
    apiBaseUrl: `${url}/api`,
    get credentials() {
      return emulator.credentials;
    },
    tokenUrl: `${url}/api/oauth/token`,
    partners: emulator.partners.credentials,
    admin: emulatorAdmin(url),
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(scheduleTimer);
        emulator.market.clearSchedule();
        emulator.webhooks.close();
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1_000).unref();
      });
      return closing;
    },
  };
}
