// Payload encryption on the real dev server: what Temporal stores is ciphertext, while every
// charterflow process configured with the key (worker, webhook receiver, CharterClient) reads it.
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CharterClient } from '../../../client/index.ts';
import { getProgress, workflowIdFor } from '../../../workflows/contract.ts';
import { decide, oneWayRequest, startStack, type Stack } from './harness.ts';

const MARKER = `pii-marker-${randomBytes(6).toString('hex')}`;
const KEY = randomBytes(32).toString('base64');
const KEY_ID = 'it-2025-06';

let stack: Stack;
let rawConnection: Connection;
let raw: Client;

beforeAll(async () => {
  stack = await startStack({ env: { PAYLOAD_ENCRYPTION_KEY: KEY, PAYLOAD_ENCRYPTION_KEY_ID: KEY_ID } });
  // No codec: sees exactly what the server stores.
  rawConnection = await Connection.connect({ address: inject('temporalAddress') });
  raw = new Client({ connection: rawConnection, namespace: inject('temporalNamespace') });
});
afterAll(async () => {
  await rawConnection?.close();
  await stack?.close();
});

describe('payload encryption on the whole stack', () => {
  it('stores passenger notes only encrypted, while the configured CharterClient reads the trip', async () => {
    const request = oneWayRequest({ notes: `Passenger allergy note ${MARKER}` });
    const trip = await stack.charter.startTrip(request);
    expect(trip.atripId).toMatch(/^atrip-/);
    const { rfqIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 1);
    await stack.emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 30_000, currency: 'USD' });
    const done = await decide(stack, request.externalId);
    expect(done.phase).toBe('completed');
    expect(done.quotes).toHaveLength(1);

    const handle = raw.workflow.getHandle(workflowIdFor(request.externalId));
    const history = await handle.fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const input = started?.input?.payloads?.[0];
    expect(Buffer.from(input!.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(input!.metadata!['encryption-key-id']!).toString()).toBe(KEY_ID);
    const text = historyToJSON(history);
    const decodedData = text.replace(/"data":"([A-Za-z0-9+/=]+)"/g, (_m, b64: string) =>
      Buffer.from(b64, 'base64').toString('latin1'),
    );
    expect(text).not.toContain(MARKER);
    expect(decodedData).not.toContain(MARKER);
    expect(decodedData).not.toContain('"legs":'); // no payload holds the plain JSON request
    // Without the codec, results cannot be read at all.
    await expect(handle.query(getProgress)).rejects.toThrow(/binary\/encrypted/);

    // A backend process configured through the environment reads it, also after a key rotation.
    const address = inject('temporalAddress');
    const namespace = inject('temporalNamespace');
    const fromEnv = await CharterClient.connect({
      address,
      namespace,
      taskQueue: stack.charter.taskQueue,
      env: stack.env,
    });
    const rotated = await CharterClient.connect({
      address,
      namespace,
      env: {
        PAYLOAD_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        PAYLOAD_ENCRYPTION_KEY_ID: 'it-2025-07',
        PAYLOAD_DECRYPTION_KEYS: `${KEY_ID}:${KEY}`,
      },
    });
    const wrongKey = await CharterClient.connect({
      address,
      namespace,
      env: { PAYLOAD_ENCRYPTION_KEY: randomBytes(32).toString('base64'), PAYLOAD_ENCRYPTION_KEY_ID: 'other' },
    });
    try {
      expect((await fromEnv.getProgress(request.externalId)).quotes).toHaveLength(1);
      expect((await rotated.getProgress(request.externalId)).phase).toBe('completed');
      await expect(wrongKey.getProgress(request.externalId)).rejects.toThrow(`unknown key id "${KEY_ID}"`);
    } finally {
      await Promise.all([fromEnv.close(), rotated.close(), wrongKey.close()]);
    }
  });
});
