import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  KEY_ID_METADATA,
  PayloadDecryptionError,
  payloadCodecsFor,
} from '../../../platform/payload-codec.ts';

const MARKER = 'passenger-notes-marker-5b1c';
const key = (keyId: string) => ({ keyId, key: randomBytes(32) });
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
const payloadOf = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const valueOf = (payload: Payload) => defaultPayloadConverter.fromPayload(payload);

describe('the payload encryption codec', () => {
  it('round-trips payloads and leaves no plaintext in what it writes', async () => {
    const codec = new EncryptionCodec({ current: key('k1') });
    const input = [payloadOf({ notes: MARKER, pax: 5 }), payloadOf('second'), payloadOf(null)];
    const encoded = await codec.encode(input);
    expect(encoded).toHaveLength(3);
    for (const payload of encoded) {
      expect(text(payload.metadata?.[METADATA_ENCODING_KEY])).toBe(ENCRYPTED_ENCODING);
      expect(text(payload.metadata?.[KEY_ID_METADATA])).toBe('k1');
      expect(Object.keys(payload.metadata ?? {})).toHaveLength(2);
    }
    expect(Buffer.from(encoded[0]!.data!).includes(MARKER)).toBe(false);
    const decoded = await codec.decode(encoded);
    expect(decoded.map(valueOf)).toEqual([{ notes: MARKER, pax: 5 }, 'second', null]);
    expect(text(decoded[0]!.metadata?.[METADATA_ENCODING_KEY])).toBe('json/plain');
  });

  it('uses a fresh IV for every payload, so equal inputs encrypt differently', async () => {
    const codec = new EncryptionCodec({ current: key('k1') });
    const [a, b] = await codec.encode([payloadOf(MARKER), payloadOf(MARKER)]);
    expect(Buffer.from(a!.data!).subarray(0, 12).equals(Buffer.from(b!.data!).subarray(0, 12))).toBe(false);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('rejects tampered ciphertext with an authentication error', async () => {
    const codec = new EncryptionCodec({ current: key('k1') });
    const [payload] = await codec.encode([payloadOf({ notes: MARKER })]);
    const data = Buffer.from(payload!.data!);
    data[20] = data[20]! ^ 0x01;
    await expect(codec.decode([{ ...payload, data }])).rejects.toThrow(PayloadDecryptionError);
    await expect(codec.decode([{ ...payload, data }])).rejects.toThrow('key id "k1") failed authentication');
    await expect(codec.decode([{ ...payload, data: data.subarray(0, 10) }])).rejects.toThrow('truncated');
  });

  it('rejects a payload whose key id was swapped for another known key', async () => {
    const codec = new EncryptionCodec({ current: key('k2'), previous: [key('k1')] });
    const [payload] = await codec.encode([payloadOf(MARKER)]);
    const relabelled = { ...payload, metadata: { ...payload!.metadata, [KEY_ID_METADATA]: Buffer.from('k1') } };
    await expect(codec.decode([relabelled])).rejects.toThrow('key id "k1") failed authentication');
  });

  it('names an unknown key id, and never the key material', async () => {
    const writer = key('2024-old');
    const [payload] = await new EncryptionCodec({ current: writer }).encode([payloadOf(MARKER)]);
    const reader = key('2025-new');
    const error = await new EncryptionCodec({ current: reader }).decode([payload!]).then(
      () => new Error('decoded with the wrong key'),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect(error.message).toContain('unknown key id "2024-old"');
    expect(error.message).toContain('"2025-new"');
    for (const material of [writer.key, reader.key]) {
      expect(error.message).not.toContain(material.toString('base64'));
      expect(error.message).not.toContain(material.toString('hex'));
    }
  });

  it('rejects an encrypted payload without a key id', async () => {
    const codec = new EncryptionCodec({ current: key('k1') });
    const [payload] = await codec.encode([payloadOf(MARKER)]);
    const metadata = { ...payload!.metadata };
    delete metadata[KEY_ID_METADATA];
    await expect(codec.decode([{ ...payload, metadata }])).rejects.toThrow(`without "${KEY_ID_METADATA}"`);
  });

  it('decodes payloads of a previous key after rotation and encrypts only with the current one', async () => {
    const old = key('k1');
    const [written] = await new EncryptionCodec({ current: old }).encode([payloadOf({ notes: MARKER })]);
    const rotated = new EncryptionCodec({ current: key('k2'), previous: [old] });
    expect(valueOf((await rotated.decode([written!]))[0]!)).toEqual({ notes: MARKER });
    const [fresh] = await rotated.encode([payloadOf('new')]);
    expect(text(fresh!.metadata?.[KEY_ID_METADATA])).toBe('k2');
  });

  it('passes plain payloads through on decode, so histories from before encryption still read', async () => {
    const codec = new EncryptionCodec({ current: key('k1') });
    const plain = [
      payloadOf({ notes: MARKER }),
      { metadata: { [METADATA_ENCODING_KEY]: Buffer.from('binary/null') } },
      {},
    ];
    expect(await codec.decode(plain)).toEqual(plain);
  });

  it('only decrypts when given previous keys without a current one', async () => {
    const old = key('k1');
    const [written] = await new EncryptionCodec({ current: old }).encode([payloadOf(MARKER)]);
    const readOnly = new EncryptionCodec({ previous: [old] });
    const plain = payloadOf('stays plain');
    expect(await readOnly.encode([plain])).toEqual([plain]);
    expect(valueOf((await readOnly.decode([written!]))[0]!)).toBe(MARKER);
  });

  it('refuses keys of the wrong length or a key id used twice, and builds no codec without keys', () => {
    expect(() => new EncryptionCodec({ current: { keyId: 'short', key: randomBytes(16) } })).toThrow(
      'encryption key "short": expected 32 bytes',
    );
    expect(() => new EncryptionCodec({ current: key('dup'), previous: [key('dup')] })).toThrow('key id used twice');
    expect(payloadCodecsFor(undefined)).toEqual([]);
    expect(payloadCodecsFor({ previous: [] })).toEqual([]);
    expect(payloadCodecsFor({ current: key('k1') })[0]).toBeInstanceOf(EncryptionCodec);
  });
});
