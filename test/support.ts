// Helpers every test layer shares: no network by accident, readable logs, and the failure a call rejected with.
import { Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { MockAgent } from 'undici';
import { expect, vi } from 'vitest';
import { ConfigError, loadConfig } from '../platform/config.ts';
import { createLogger, type Logger } from '../platform/logging.ts';

/** A MockAgent that refuses any request no interceptor answers. */
export function mockNetwork(): MockAgent {
  const agent = new MockAgent();
  agent.disableNetConnect();
  return agent;
}

/** Lower-cases header names whatever shape undici hands the interceptor. */
export function headersOf(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) out[String(raw[i]).toLowerCase()] = String(raw[i + 1]);
  } else if (raw && typeof raw === 'object') {
    for (const [key, value] of Object.entries(raw as Record<string, unknown>)) out[key.toLowerCase()] = String(value);
  }
  return out;
}

/** A real pino logger (with the project's redaction) writing into memory, read back as lines, text or parsed records. */
export function captureLogs(): {
  logger: Logger;
  lines: string[];
  text: () => string;
  records: () => Record<string, unknown>[];
} {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return {
    logger: createLogger({ level: 'debug', destination: stream }),
    lines,
    text: () => lines.join('\n'),
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** Awaits a promise that must reject with an ApplicationFailure, and returns that failure. */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

/** The ConfigError loadConfig throws for `env`; fails the test when it throws none. */
export function configErrorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/**
 * vi.waitUntil: polls until `check` returns a truthy value, an error thrown by `check` failing at
 * once; a timeout (which only bounds a broken run) says what it waited for.
 */
export async function waitUntil<T>(
  check: () => T | Promise<T>,
  what: () => string,
  options: { timeout: number; interval: number },
): Promise<NonNullable<T>> {
  let threw = false;
  const watched = async () => {
    try {
      return await check();
    } catch (error) {
      threw = true;
      throw error;
    }
  };
  try {
    return (await vi.waitUntil(watched, options)) as NonNullable<T>;
  } catch (error) {
    if (threw) throw error;
    throw new Error(`timed out waiting for ${what()}`, { cause: error });
  }
}
