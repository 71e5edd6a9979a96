// Shared setup for the Avinode client integration tests: the real emulator over real HTTP.
import { request } from 'undici';
import { startEmulator, type FaultRule } from '../../../emulator/index.ts';
import { createAvinodeClient } from '../../../activities/avinode/client.ts';
import { createAvinodeTokenSource } from '../../../activities/auth/index.ts';
import type { TokenSource } from '../../../activities/avinode/http.ts';
import type { Logger } from '../../../platform/logging.ts';
import { loadConfig } from '../../../platform/config.ts';
import { resolveTarget, type AvinodeTarget, type TokenSourceFactory } from '../../../client/avinode-cli.ts';
import { captureLogs } from '../../support.ts';

export { captureLogs };

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;
export type AuthMethod = Emulator['credentials']['authMethod'];

export async function admin(
  emulator: Emulator,
  method: 'GET' | 'PUT' | 'POST',
  path: string,
  body?: unknown,
): Promise<any> {
  const response = await request(`${emulator.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.body.text();
  if (response.statusCode >= 300) throw new Error(`admin ${method} ${path} → ${response.statusCode}: ${text}`);
  const parsed = text ? JSON.parse(text) : undefined;
  return parsed && typeof parsed === 'object' && 'data' in parsed ? parsed.data : parsed;
}

export const setFaults = (emulator: Emulator, rules: FaultRule[]) =>
  admin(emulator, 'PUT', '/_emulator/faults', { rules });

/** A future date, so POST /trips accepts it. */
export function futureDate(daysAhead = 30): string {
  return new Date(Date.now() + daysAhead * 86_400_000).toISOString().slice(0, 10);
}

export function clientFor(
  emulator: Emulator,
  tokenSource: TokenSource,
  logger?: Logger,
  timeouts?: { headersMs?: number; bodyMs?: number },
) {
  return createAvinodeClient({
    baseUrl: emulator.apiBaseUrl,
    apiToken: emulator.credentials.apiToken,
    product: 'charterflow-it/1',
    apiVersion: 'v1.0',
    tokenSource,
    ...(logger ? { logger } : {}),
    ...(timeouts ? { timeouts } : {}),
  });
}

export function envFor(emulator: Emulator, overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const { clientId, clientSecret, apiToken, authMethod } = emulator.credentials;
  return {
    AVINODE_BASE_URL: emulator.apiBaseUrl,
    AVINODE_API_TOKEN: apiToken,
    AVINODE_CLIENT_ID: clientId,
    AVINODE_CLIENT_SECRET: clientSecret,
    AVINODE_CLIENT_AUTH_METHOD: authMethod,
    WEBHOOK_PASSWORD: 'webhook-password-it',
    ...overrides,
  };
}

export function targetFor(emulator: Emulator, overrides: Record<string, string | undefined> = {}): AvinodeTarget {
  return resolveTarget(loadConfig(envFor(emulator, overrides)), undefined);
}

/** The product's token layer, as the activities and the CLI build it. */
export const tokenSourceFactory: TokenSourceFactory = (target, deps) => createAvinodeTokenSource(target, deps);

export const tokenSourceFor = (
  emulator: Emulator,
  method: AuthMethod = emulator.credentials.authMethod,
  logger?: Logger,
) => tokenSourceFactory(targetFor(emulator, { AVINODE_CLIENT_AUTH_METHOD: method }), { ...(logger ? { logger } : {}) });
