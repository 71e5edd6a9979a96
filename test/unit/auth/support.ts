// MockAgent with the network disabled, and a way to see exactly what a token request sent.
import { Writable } from 'node:stream';
import { MockAgent } from 'undici';
import { createLogger, type Logger } from '../../../workers/logging.ts';

export interface CapturedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export function mockNetwork(): MockAgent {
  const agent = new MockAgent();
  agent.disableNetConnect();
  return agent;
}

export function lowerCaseHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) out[String(headers[i]).toLowerCase()] = String(headers[i + 1]);
  } else if (headers && typeof headers === 'object') {
    for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = String(v);
  }
  return out;
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
      seen.push({ method: options.method, path: options.path, headers: lowerCaseHeaders(options.headers), body: typeof options.body === 'string' ? options.body : String(options.body ?? '') });
      const data = reply.text ?? (reply.json === undefined ? '' : JSON.stringify(reply.json));
      return { statusCode: reply.status, data, responseOptions: { headers: { 'content-type': 'application/json', ...reply.headers } } };
    });
  return seen;
}

/** A real pino logger (with the project's redaction) writing into a string. */
export function memoryLogger(): { logger: Logger; output: () => string } {
  let text = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination: sink }), output: () => text };
}
