// TEMPORAL_API_KEY reaches Temporal from a worker process and the trip CLI's client. The dev server
// ignores the key: the run proves the plumbing over plain gRPC (TEMPORAL_TLS=false), and a worker
// whose key switched TLS on failing against the plain server proves the key reaches its connection.
// The TLS material itself is covered by test/unit/temporal-connection.test.ts.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CharterClient, temporalConnectionOptions } from '../../../client/index.ts';
import { loadConfig } from '../../../platform/config.ts';
import { decide, killProcess, oneWayRequest, spawnWorkerProcess, startStack, type Stack } from './harness.ts';

const API_KEY = 'it-temporal-api-key-5d2e7b19';
let stack: Stack;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  stack = await startStack({ worker: false });
  worker = await spawnWorkerProcess(stack, { TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS: 'false', LOG_LEVEL: 'debug' });
});
afterAll(async () => {
  if (worker) await killProcess(worker, 'SIGTERM');
  await stack?.close();
});

describe('a Temporal API key', () => {
  it('is used by the worker process and the backend client, and the run completes', async () => {
    const config = loadConfig({ ...stack.env, TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS: 'false' });
    const connection = temporalConnectionOptions(config.temporal);
    expect(connection.apiKey).toBe(API_KEY);
    const charter = await CharterClient.connect({
      ...connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      payloadCodecs: [],
    });
    try {
      const request = oneWayRequest();
      const trip = await charter.startTrip(request);
      const { rfqIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 1);
      await stack.emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 12_000, currency: 'USD' });
      const done = await decide(stack, request.externalId);
      expect(done.phase).toBe('completed');
      expect((await charter.getProgress(request.externalId)).quotes).toHaveLength(1);
    } finally {
      await charter.close();
    }
  });

  it('turns TLS on with the key unless TEMPORAL_TLS=false, so a worker cannot reach the plain dev server', async () => {
    const failure = await spawnWorkerProcess(stack, { TEMPORAL_API_KEY: API_KEY }).then(
      (child) => killProcess(child, 'SIGKILL').then(() => undefined),
      (error: Error) => error,
    );
    expect(failure?.message).toMatch(/worker exited with 1:[\s\S]*(InvalidContentType|tls|TLS|transport)/);
    expect(failure?.message).not.toContain(API_KEY);
  });
});
