// `charterflow codec` as its own process: the remote codec endpoint a Temporal Web UI calls when
// payloads are encrypted and the UI was not started by `charterflow start` (docker-compose).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort } from '../../../workers/dev-server.ts';

const BIN = fileURLToPath(new URL('../../../bin/charterflow.js', import.meta.url));
const KEY = Buffer.alloc(32, 42).toString('base64');
const UI_ORIGIN = 'https://temporal-ui.example.com';

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

/** Runs `charterflow codec` with `env`; resolves with its listening line, or its exit code and stderr. */
function runCodec(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ listening?: { url: string; allowedOrigins: string[] }; code?: number; stderr: string }> {
  const process_ = spawn(process.execPath, [BIN, 'codec', ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = process_;
  let stderr = '';
  process_.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    process_.stdout!.on('data', (chunk: Buffer) => {
      const line = chunk
        .toString()
        .split('\n')
        .find((text) => text.includes('"event":"listening"'));
      if (line) resolve({ listening: JSON.parse(line), stderr });
    });
    process_.once('exit', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

const post = (url: string, body: unknown, origin = UI_ORIGIN) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify(body) });

describe('charterflow codec', () => {
  it('encrypts and decrypts for the configured UI origin only, with the keys of the environment', async () => {
    const port = await findFreePort();
    const { listening } = await runCodec({
      PAYLOAD_ENCRYPTION_KEY: KEY,
      PAYLOAD_ENCRYPTION_KEY_ID: 'k1',
      CODEC_SERVER_PORT: String(port),
      CODEC_ALLOWED_ORIGINS: UI_ORIGIN,
    });
    expect(listening).toEqual({
      event: 'listening',
      service: 'codec',
      url: `http://127.0.0.1:${port}/codec`,
      allowedOrigins: [UI_ORIGIN],
    });

    const plain = {
      metadata: { encoding: Buffer.from('json/plain').toString('base64') },
      data: Buffer.from('{"notes":"VIP"}').toString('base64'),
    };
    const encoded = await post(`${listening!.url}/encode`, { payloads: [plain] });
    expect(encoded.status).toBe(200);
    expect(encoded.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    const [encrypted] = ((await encoded.json()) as { payloads: (typeof plain)[] }).payloads;
    expect(Buffer.from(encrypted!.metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(encrypted!.data, 'base64').toString('latin1')).not.toContain('VIP');

    const decoded = await post(`${listening!.url}/decode`, { payloads: [encrypted] });
    expect(((await decoded.json()) as { payloads: unknown[] }).payloads).toEqual([plain]);

    expect(
      (await post(`${listening!.url}/decode`, { payloads: [encrypted] }, 'https://elsewhere.example')).status,
    ).toBe(403);
  });

  it('refuses a non-loopback host without an origin allow-list and a bearer check, naming the variables', async () => {
    const keys = {
      PAYLOAD_ENCRYPTION_KEY: KEY,
      PAYLOAD_ENCRYPTION_KEY_ID: 'k1',
      CODEC_SERVER_PORT: '0',
      CODEC_ALLOWED_ORIGINS: '',
      CODEC_AUTH: '',
      CODEC_AUTH_ISSUER: '',
      CODEC_AUTH_JWKS_URL: '',
    };
    const noList = await runCodec(keys, ['--host', '0.0.0.0']);
    expect(noList.code).toBe(2);
    expect(noList.stderr).toContain('set CODEC_ALLOWED_ORIGINS');
    const noBearer = await runCodec({ ...keys, CODEC_ALLOWED_ORIGINS: UI_ORIGIN }, ['--host', '0.0.0.0']);
    expect(noBearer.code).toBe(2);
    expect(noBearer.stderr).toContain('CODEC_AUTH_ISSUER and CODEC_AUTH_JWKS_URL');
  });

  it('refuses to start without keys, saying there is nothing to decode', async () => {
    const result = await runCodec({ PAYLOAD_ENCRYPTION_KEY: '', PAYLOAD_DECRYPTION_KEYS: '' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('PAYLOAD_ENCRYPTION_KEY and PAYLOAD_DECRYPTION_KEYS are unset');
  });

  it('names CODEC_ALLOWED_ORIGINS when an entry is not an origin', async () => {
    const result = await runCodec({
      PAYLOAD_ENCRYPTION_KEY: KEY,
      PAYLOAD_ENCRYPTION_KEY_ID: 'k1',
      CODEC_ALLOWED_ORIGINS: 'http://ui.example/path',
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/CODEC_ALLOWED_ORIGINS.*origin such as http:\/\/127\.0\.0\.1:8233/);
    expect(result.stderr).not.toContain(KEY);
  });
});
