// Avinode credentials go only to the configured origin and token endpoint: a redirect from either
// is never followed, whatever the status, so nothing (least of all a credential) reaches its target.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAvinodeTokenSource } from '../../../activities/auth/index.ts';
import { createClientFor, resolveTarget } from '../../../client/avinode-cli.ts';
import { loadCommandConfig } from '../../../platform/config.ts';
import { FailureType } from '../../../workflows/contract.ts';
import { startEmulator } from '../../../emulator/index.ts';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

async function listen(
  handler: (req: IncomingMessage, res: import('node:http').ServerResponse) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Whatever reaches the foreign origin, with its credential-bearing headers. */
const foreignRequests: { method?: string; url?: string; authorization?: string; apiToken?: string }[] = [];
let foreign: { server: Server; url: string };
let redirecting: { server: Server; url: string };
let emulator: Emulator;
/** Status the redirecting origin answers with; the Location always points at the foreign origin. */
let redirectStatus = 302;

beforeAll(async () => {
  foreign = await listen((req, res) => {
    foreignRequests.push({
      method: req.method,
      url: req.url,
      authorization: req.headers.authorization,
      apiToken: req.headers['x-avinode-apitoken'] as string | undefined,
    });
    req.resume();
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end('{"access_token":"stolen","token_type":"Bearer","expires_in":3600,"data":{}}');
  });
  emulator = await startEmulator({ port: 0 });
  // Answers every request with a redirect to the same path on the foreign origin.
  redirecting = await listen((req, res) => {
    req.resume();
    res.writeHead(redirectStatus, { location: `${foreign.url}${req.url}` }).end();
  });
});
afterAll(async () => {
  await emulator?.close();
  await new Promise((resolve) => foreign?.server.close(resolve));
  await new Promise((resolve) => redirecting?.server.close(resolve));
});

function envOf(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const { clientId, clientSecret, apiToken, authMethod } = emulator.credentials;
  return {
    AVINODE_API_TOKEN: apiToken,
    AVINODE_CLIENT_ID: clientId,
    AVINODE_CLIENT_SECRET: clientSecret,
    AVINODE_CLIENT_AUTH_METHOD: authMethod,
    ...overrides,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApplicationFailure) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('redirects never carry Avinode credentials elsewhere', () => {
  for (const status of [301, 302, 303, 307, 308]) {
    it(`a ${status} from the token endpoint is a ConfigurationInvalid failure, and the foreign origin sees nothing`, async () => {
      redirectStatus = status;
      foreignRequests.length = 0;
      const target = resolveTarget(
        loadCommandConfig(
          envOf({ AVINODE_BASE_URL: emulator.apiBaseUrl, AVINODE_TOKEN_URL: `${redirecting.url}/oauth/token` }),
        ),
        undefined,
      );
      const failure = await failureOf(createAvinodeTokenSource(target, {}).getToken());
      expect(failure.type).toBe(FailureType.ConfigurationInvalid);
      expect(failure.message).toContain(`answered ${status}, a redirect; not followed`);
      expect(failure.message).not.toContain(emulator.credentials.clientSecret);
      expect(foreignRequests).toEqual([]);
    });

    it(`a ${status} from the API is a non-retryable failure, and neither the bearer token nor the API token reaches the foreign origin`, async () => {
      redirectStatus = status;
      foreignRequests.length = 0;
      // Real tokens from the emulator, API calls to the redirecting origin.
      const target = resolveTarget(
        loadCommandConfig(
          envOf({
            AVINODE_BASE_URL: `${redirecting.url}/api`,
            AVINODE_TOKEN_URL: `${emulator.apiBaseUrl}/oauth/token`,
          }),
        ),
        undefined,
      );
      const client = createClientFor(target, createAvinodeTokenSource(target, {}));
      try {
        const failure = await failureOf(client.readTrip('atrip-70000001'));
        expect(failure.nonRetryable).toBe(true);
        expect(failure.message).toContain(`→ ${status}`);
        expect(failure.message).toContain('a redirect: not followed');
        const webhooks = await failureOf(client.listWebhookSettings());
        expect(webhooks.nonRetryable).toBe(true);
      } finally {
        await client.close();
      }
      expect(foreignRequests).toEqual([]);
    });
  }

  it('the emulator-backed control case works, so the redirect cases fail for the redirect alone', async () => {
    const target = resolveTarget(loadCommandConfig(envOf({ AVINODE_BASE_URL: emulator.apiBaseUrl })), undefined);
    const client = createClientFor(target, createAvinodeTokenSource(target, {}));
    try {
      expect(Array.isArray(await client.listWebhookSettings())).toBe(true);
    } finally {
      await client.close();
    }
  });
});
