// Optional payload encryption (design.md §1: passenger notes and contact data are PII). AES-256-GCM
// over the whole serialized payload, one random 12-byte IV per payload, the key id in the metadata so
// old keys keep decrypting after a rotation. Runs outside the workflow sandbox (client and worker).
// Same wire format as temporalio/samples-typescript encryption/, plus the key id as GCM AAD.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ProtoPayload = proto.temporal.api.common.v1.Payload;

export interface EncryptionKey {
  keyId: string;
  /** 32 bytes. */
  key: Uint8Array;
}

export interface PayloadEncryptionOptions {
  /** Encrypts every new payload; omitted: payloads are written in plain (decrypt-only, e.g. while switching encryption off). */
  current?: EncryptionKey;
  /** Keys that only decrypt: earlier keys after a rotation. */
  previous?: readonly EncryptionKey[];
}

/** A payload the codec cannot decrypt. The message names key ids, never key material or data. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

const utf8 = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export class EncryptionCodec implements PayloadCodec {
  private readonly keys = new Map<string, Buffer>();
  private readonly currentKeyId: string | undefined;

  constructor(options: PayloadEncryptionOptions) {
    for (const { keyId, key } of [...(options.current ? [options.current] : []), ...(options.previous ?? [])]) {
      if (key.byteLength !== KEY_BYTES) throw new Error(`encryption key "${keyId}": expected ${KEY_BYTES} bytes`);
      if (this.keys.has(keyId)) throw new Error(`encryption key "${keyId}": key id used twice`);
      this.keys.set(keyId, Buffer.from(key));
    }
    if (this.keys.size === 0) throw new Error('EncryptionCodec needs at least one key');
    this.currentKeyId = options.current?.keyId;
  }

  /** Key ids this codec decrypts, the current one first. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.currentKeyId;
    if (keyId === undefined) return payloads;
    const key = this.keys.get(keyId)!;
    const aad = Buffer.from(keyId, 'utf8');
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad);
      const plain = ProtoPayload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(keyId) },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      // Histories written before encryption was enabled hold plain payloads: they pass through.
      if (utf8(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
      const keyId = utf8(payload.metadata?.[KEY_ID_METADATA]);
      if (!keyId) throw new PayloadDecryptionError(`encrypted payload without "${KEY_ID_METADATA}" metadata`);
      const key = this.keys.get(keyId);
      if (!key) {
        throw new PayloadDecryptionError(
          `payload encrypted with unknown key id "${keyId}" (this process knows ${this.keyIds.map((id) => `"${id}"`).join(', ')}); add that key to PAYLOAD_DECRYPTION_KEYS`,
        );
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.byteLength < IV_BYTES + TAG_BYTES)
        throw new PayloadDecryptionError(`encrypted payload (key id "${keyId}") is truncated`);
      let plain: Buffer;
      try {
        const decipher = createDecipheriv(ALGORITHM, key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(keyId, 'utf8'));
        decipher.setAuthTag(data.subarray(data.byteLength - TAG_BYTES));
        plain = Buffer.concat([
          decipher.update(data.subarray(IV_BYTES, data.byteLength - TAG_BYTES)),
          decipher.final(),
        ]);
      } catch {
        throw new PayloadDecryptionError(
          `encrypted payload (key id "${keyId}") failed authentication: altered, or encrypted with another key under that id`,
        );
      }
      const decoded = ProtoPayload.decode(plain);
      return { metadata: decoded.metadata, data: decoded.data };
    });
  }
}

/** The `payloadCodecs` for a client or worker: none when encryption is not configured. */
export function payloadCodecsFor(encryption: PayloadEncryptionOptions | undefined): PayloadCodec[] {
  return encryption && (encryption.current || encryption.previous?.length) ? [new EncryptionCodec(encryption)] : [];
}
