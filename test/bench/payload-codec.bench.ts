// What payload encryption costs: every workflow input, result, signal, update, query answer and UI
// detail of a run goes through the codec once on the way in and once on the way out.
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { EncryptionCodec } from '../../platform/payload-codec.ts';
import { oneWayRequest } from '../integration/stack/harness.ts';
import { report, target } from './support.ts';

describe('payload codec throughput', () => {
  it('encrypts and decrypts at least 20,000 trip-request payloads per second each way', async () => {
    const codec = new EncryptionCodec({ current: { keyId: 'bench', key: randomBytes(32) } });
    const request = {
      ...oneWayRequest(),
      notes: 'Two passengers with pets; contact +1 555 0100 for the lead passenger. '.repeat(4),
    };
    const payload = defaultPayloadConverter.toPayload(request);
    const batch = Array.from({ length: 100 }, () => payload);
    for (let i = 0; i < 50; i++) await codec.decode(await codec.encode(batch)); // warm-up

    const rounds = 500;
    let encodeMs = 0;
    let decodeMs = 0;
    for (let i = 0; i < rounds; i++) {
      const started = performance.now();
      const encrypted = await codec.encode(batch);
      const middle = performance.now();
      const decrypted = await codec.decode(encrypted);
      decodeMs += performance.now() - middle;
      encodeMs += middle - started;
      if (i === 0) expect(Buffer.from(decrypted[0]!.data!).equals(Buffer.from(payload.data!))).toBe(true);
    }
    const payloads = rounds * batch.length;
    const encodePerSecond = payloads / (encodeMs / 1000);
    const decodePerSecond = payloads / (decodeMs / 1000);
    report('payload-codec', { payloads, payloadBytes: payload.data!.byteLength, encodePerSecond, decodePerSecond });
    target('payload-codec', 'encodePerSecond', encodePerSecond, '>=', 20_000);
    target('payload-codec', 'decodePerSecond', decodePerSecond, '>=', 20_000);
  });
});
