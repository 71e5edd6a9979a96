// MockAgent with the network disabled, and a way to see exactly what a token request sent.
import type { MockAgent } from 'undici';
import { afterEach, beforeEach } from 'vitest';
import type { Logger } from '../../../platform/logging.ts';
import { captureLogs, headersOf, mockNetwork } from '../../support.ts';

export { mockNetwork };

export interface CapturedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * A fresh network-disabled MockAgent for every test, handed to `use`; after each test every
 * interceptor must have been used.
 */
export function mockNetworkPerTest(use: (agent: MockAgent) => void): void {
  let agent: MockAgent;
  beforeEach(() => {
    agent = mockNetwork();
    use(agent);
  });
  afterEach(async () => {
    agent.assertNoPendingInterceptors();
    await agent.close();
  });
}

/** Replies with `reply` and records the request it answered. */
export function capture(
  agent: MockAgent,
  origin: string,
  path: string,
  reply: { status: number; json?: unknown; text?: string; headers?: Record<string, string> },
  method = 'POST',
): CapturedRequest[] {
  const seen: CapturedRequest[] = [];
  agent
    .get(origin)
    .intercept({ path: (p) => p.split('?')[0] === path, method })
    .reply((options) => {
      seen.push({
        method: options.method,
        path: options.path,
        headers: headersOf(options.headers),
        body: typeof options.body === 'string' ? options.body : String(options.body ?? ''),
      });
      const data = reply.text ?? (reply.json === undefined ? '' : JSON.stringify(reply.json));
      return {
        statusCode: reply.status,
        data,
        responseOptions: { headers: { 'content-type': 'application/json', ...reply.headers } },
      };
    });
  return seen;
}

/** A real pino logger (with the project's redaction) writing into memory; `output` is what it wrote. */
export function memoryLogger(): { logger: Logger; output: () => string } {
  const { logger, text } = captureLogs();
  return { logger, output: text };
}
