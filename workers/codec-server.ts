// Temporal's remote codec protocol for the Web UI (docs.temporal.io/codec-server): POST
// <endpoint>/encode and <endpoint>/decode with { payloads: [{ metadata: {k: base64}, data: base64 }] }.
// The browser calls it, so CORS answers the UI origin only. It decrypts for anyone who can reach
// it: it listens on loopback unless given an origin allow-list and a bearer check (the Temporal UI
// passes its user's access token, TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true), verified against the
// UI's OIDC provider's JWKS. `charterflow start` runs it for local use only.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { z } from 'zod';
import { loadCommandConfig, type CodecAuth } from '../platform/config.ts';
import { isLoopback } from '../platform/urls.ts';
import { createLogger, type Logger } from '../platform/logging.ts';
import { payloadCodecsFor } from '../platform/payload-codec.ts';

export const CODEC_PATH = '/codec';
const MAX_BODY_BYTES = 8 * 1_048_576;

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64');
const Body = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).nullish(), data: base64.nullish() })).max(10_000),
});
type JsonPayload = z.infer<typeof Body>['payloads'][number];

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Browser origins allowed to call it, e.g. the Web UI's `http://127.0.0.1:8233`. */
  allowedOrigins: readonly string[];
  port?: number;
  host?: string;
  logger?: Logger;
  /** Required beyond loopback: the UI's bearer token checked against its issuer, or `none` (see CODEC_AUTH). */
  auth?: CodecAuth;
}

/** Listening on a loopback address: only this machine (or a runtime publishing on its loopback) can call. */
export const isLoopbackHost = isLoopback;

/** Refused before listening: the endpoint decrypts for anyone who reaches it. */
export class CodecExposureRefused extends Error {
  override name = 'CodecExposureRefused';
}

/** Why `host` may not be served with these settings, or undefined when it may. */
export function codecExposureProblem(
  host: string,
  settings: { allowedOriginsConfigured: boolean; auth?: CodecAuth },
): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  if (!settings.allowedOriginsConfigured) {
    return `--host ${host} is not a loopback address: set CODEC_ALLOWED_ORIGINS to the Web UI origins that may call the codec endpoint`;
  }
  if (!settings.auth) {
    return (
      `--host ${host} is not a loopback address: set CODEC_AUTH_ISSUER and CODEC_AUTH_JWKS_URL (the Temporal UI's OIDC provider; ` +
      'run the UI with TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true so it sends its bearer token), or CODEC_AUTH=none if a container runtime publishes the port on the host loopback only'
    );
  }
  return undefined;
}

type BearerCheck = (header: string | undefined) => Promise<{ ok: true } | { ok: false; reason: string }>;

function bearerCheckOf(auth: Extract<CodecAuth, { kind: 'bearer' }>): BearerCheck {
  const keys = createRemoteJWKSet(new URL(auth.jwksUrl), { timeoutDuration: 5_000 });
  return async (header) => {
    const match = /^Bearer[ \t]+([A-Za-z0-9._~+/-]+=*)$/i.exec(header ?? '');
    if (!match) return { ok: false, reason: 'missing bearer token' };
    try {
      await jwtVerify(match[1]!, keys, { issuer: auth.issuer, ...(auth.audience ? { audience: auth.audience } : {}) });
      return { ok: true };
    } catch (error) {
      // jose's codes (ERR_JWT_EXPIRED, ERR_JWS_SIGNATURE_VERIFICATION_FAILED…) name the problem, never the token.
      return { ok: false, reason: (error as { code?: string }).code ?? 'invalid token' };
    }
  };
}

export interface RunningCodecServer {
  /** The endpoint to give the UI (`--ui-codec-endpoint`): `<url>/encode` and `<url>/decode` are served. */
  endpoint: string;
  close(): Promise<void>;
}

/** Both spellings of a loopback UI origin on this port (the browser uses whichever the user typed). */
export function uiOrigins(uiPort: number): string[] {
  return [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`];
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  const { codec, logger } = options;
  const allowed = new Set(options.allowedOrigins);
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && !options.auth)
    throw new CodecExposureRefused(codecExposureProblem(host, { allowedOriginsConfigured: true })!);
  const checkBearer = options.auth?.kind === 'bearer' ? bearerCheckOf(options.auth) : undefined;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const origin = req.headers.origin;
    if (origin && allowed.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    res.setHeader('Vary', 'Origin');
    const send = (status: number, body: object) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    // The raw request target: new URL() throws on `//`, which would turn a probe into a 500.
    const path = (req.url ?? '/').split('?', 1)[0];
    const operation =
      path === `${CODEC_PATH}/encode` ? 'encode' : path === `${CODEC_PATH}/decode` ? 'decode' : undefined;
    if (!operation) return send(404, { error: 'not found' });
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'content-type, x-namespace, authorization',
        'Access-Control-Max-Age': '600',
      });
      return res.end();
    }
    if (req.method !== 'POST') return send(405, { error: 'use POST' });
    if (origin && !allowed.has(origin)) return send(403, { error: 'origin not allowed' });
    if (checkBearer) {
      const verdict = await checkBearer(req.headers.authorization);
      if (!verdict.ok) {
        logger?.warn({ operation, reason: verdict.reason, status: 401 }, 'codec request without a valid bearer token');
        res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
        return send(401, { error: `a valid bearer token of the Temporal UI login is required (${verdict.reason})` });
      }
    }
    const raw = await readBody(req);
    if (!raw) return send(413, { error: `body larger than ${MAX_BODY_BYTES} bytes` });
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      return send(400, { error: 'body is not JSON' });
    }
    const parsed = Body.safeParse(json);
    if (!parsed.success)
      return send(400, { error: `expected { payloads: [{ metadata, data }] }: ${z.prettifyError(parsed.error)}` });
    try {
      const payloads = parsed.data.payloads.map(fromJson);
      const result = operation === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
      return send(200, { payloads: result.map(toJson) });
    } catch (error) {
      // Codec errors name key ids only; they help whoever looks at an old history with a missing key.
      const message = error instanceof Error ? error.message : String(error);
      logger?.warn({ operation, namespace: req.headers['x-namespace'], error: message }, 'codec request failed');
      return send(400, { error: message });
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger?.error({ error: error instanceof Error ? error.message : String(error) }, 'codec server error');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`codec server port ${options.port} on ${host} is already in use (CODEC_SERVER_PORT)`)
          : error,
      ),
    );
    server.listen(options.port ?? 0, host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host}:${port}${CODEC_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const USAGE = `Usage: charterflow codec [--host H] [--port N]

Serves Temporal's remote codec protocol (<url>/codec/encode, <url>/codec/decode) with the keys of
PAYLOAD_ENCRYPTION_KEY / PAYLOAD_DECRYPTION_KEYS, so a Temporal Web UI configured with this endpoint
shows decrypted payloads. Port: CODEC_SERVER_PORT (default 8282); host: 127.0.0.1 unless --host.
Browsers may call it from CODEC_ALLOWED_ORIGINS (default the local UI on TEMPORAL_UI_PORT).
Anyone who can reach it can decrypt: a non-loopback --host needs CODEC_ALLOWED_ORIGINS and the
UI's bearer token checked (CODEC_AUTH_ISSUER, CODEC_AUTH_JWKS_URL, optional CODEC_AUTH_AUDIENCE),
or CODEC_AUTH=none when a container runtime publishes the port on the host loopback only.`;

/** `charterflow codec`: the codec endpoint on its own, for a Temporal UI that charterflow start did not launch. */
export async function runCodecCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { host: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadCommandConfig();
  const [codec] = payloadCodecsFor(config.payloadEncryption);
  if (!codec) {
    process.stderr.write(
      'charterflow codec: PAYLOAD_ENCRYPTION_KEY and PAYLOAD_DECRYPTION_KEYS are unset: there is nothing to encrypt or decrypt.\n',
    );
    return 2;
  }
  const port = values.port !== undefined ? Number(values.port) : config.codecServer.port;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`charterflow codec: --port must be 0-65535, got ${values.port}\n`);
    return 2;
  }
  const logger = createLogger({ level: config.logLevel, name: 'charterflow-codec' });
  const allowedOrigins = config.codecServer.allowedOrigins ?? uiOrigins(config.temporal.uiPort);
  const host = values.host ?? '127.0.0.1';
  const refused = codecExposureProblem(host, {
    allowedOriginsConfigured: config.codecServer.allowedOrigins !== undefined,
    ...(config.codecServer.auth ? { auth: config.codecServer.auth } : {}),
  });
  if (refused) {
    process.stderr.write(`charterflow codec: ${refused}.\n`);
    return 2;
  }
  const server = await startCodecServer({
    codec,
    allowedOrigins,
    port,
    host,
    logger,
    ...(config.codecServer.auth ? { auth: config.codecServer.auth } : {}),
  });
  process.stdout.write(
    `${JSON.stringify({ event: 'listening', service: 'codec', url: server.endpoint, allowedOrigins })}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}
