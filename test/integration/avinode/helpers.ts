// Shared setup for the Avinode client integration tests: the real emulator over real HTTP.
import { Writable } from 'node:stream';
import { request } from 'undici';
import { startEmulator, type FaultRule } from '../../../emulator/index.ts';
import { createAvinodeClient } from '../../../activities/avinode/client.ts';
import type { TokenSource } from '../../../activities/avinode/http.ts';
import { createLogger, type Logger } from '../../../workers/logging.ts';
import { loadConfig } from '../../../workers/config.ts';
import { resolveTarget, type AvinodeTarget, type TokenSourceFactory } from '../../../client/avinode-cli.ts';

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;
export type AuthMethod = Emulator['credentials']['authMethod'];

export function captureLogs(): { logger: Logger; text: () => string; records: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return {
    logger: createLogger({ level: 'debug', destination: stream }),
    text: () => lines.join('\n'),
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

export async function admin(emulator: Emulator, method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown): Promise<any> {
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

export const setFaults = (emulator: Emulator, rules: FaultRule[]) => admin(emulator, 'PUT', '/_emulator/faults', { rules });

/** A future date, so POST /trips accepts it. */
export function futureDate(daysAhead = 30): string {
  return new Date(Date.now() + daysAhead * 86_400_000).toISOString().slice(0, 10);
}

export function clientFor(emulator: Emulator, tokenSource: TokenSource, logger?: Logger, timeouts?: { headersMs?: number; bodyMs?: number }) {
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

// DRAFT: replaced by activities/auth's createAvinodeTokenSource once it lands.
export const draftTokenSourceFactory = (target: {
  baseUrl: string;
  tokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
  clientAuthMethod: AuthMethod;
}): TokenSource & { requests: number; getToken(): Promise<{ value: string; tokenType: string; expiresInSeconds: number }> } => {
  let current: { value: string; tokenType: string; expiresInSeconds: number } | undefined;
  const method = target.clientAuthMethod;
  const tokenUrl = target.tokenUrl ?? `${target.baseUrl}/oauth/token`;
  const source = {
    requests: 0,
    async getToken() {
      if (current) return current;
      source.requests += 1;
      const clientId = target.clientId ?? '';
      const clientSecret = target.clientSecret ?? '';
      const form = new URLSearchParams({ grant_type: 'client_credentials' });
      const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };
      if (method === 'client_secret_basic') headers.authorization = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
      else if (method === 'client_secret_post') {
        form.set('client_id', clientId);
        form.set('client_secret', clientSecret);
      } else {
        const { SignJWT } = await import('jose');
        const assertion = await new SignJWT({})
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setIssuer(clientId)
          .setSubject(clientId)
          .setAudience(tokenUrl)
          .setJti(crypto.randomUUID())
          .setIssuedAt()
          .setExpirationTime('60s')
          .sign(new TextEncoder().encode(clientSecret));
        form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
        form.set('client_assertion', assertion);
      }
      const response = await request(tokenUrl, { method: 'POST', headers, body: form.toString() });
      const body = (await response.body.json()) as { access_token?: string; expires_in?: number; token_type?: string; error?: string; errorDetails?: { code: string }[] };
      if (!body.access_token) {
        throw Object.assign(new Error(`token endpoint → ${response.statusCode} ${body.error ?? ''}`), {
          type: 'TokenEndpointRejected',
          details: [{ provider: 'avinode', status: response.statusCode, error: body.error, errorDetails: (body.errorDetails ?? []).map((d) => d.code), method }],
        });
      }
      current = { value: body.access_token, tokenType: body.token_type ?? 'Bearer', expiresInSeconds: body.expires_in ?? 0 };
      return current;
    },
    invalidate(token: { value: string }) {
      if (current?.value !== token.value) return false;
      current = undefined;
      return true;
    },
  };
  return source;
};

/** The environment a deployment pointed at this emulator would have. */
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
export const tokenSourceFactory: TokenSourceFactory = (target) => draftTokenSourceFactory(target);

export const tokenSourceFor = (emulator: Emulator, method: AuthMethod = emulator.credentials.authMethod, logger?: Logger) =>
  tokenSourceFactory(targetFor(emulator, { AVINODE_CLIENT_AUTH_METHOD: method }), { ...(logger ? { logger } : {}) });
