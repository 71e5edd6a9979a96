// Structured JSON logs through pino, with every secret-bearing field redacted.
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** Field names whose values are secrets wherever they appear (one level of nesting is covered by `*.`). */
export const SECRET_FIELDS = [
  'authorization',
  'Authorization',
  'client_secret',
  'clientSecret',
  'client_assertion',
  'clientAssertion',
  'access_token',
  'accessToken',
  'refresh_token',
  'refreshToken',
  'password',
  'apiToken',
  'bearerToken',
  'secret',
  'token',
  'code_verifier',
] as const;

const HEADER_PATHS = [
  'headers.authorization',
  'headers["x-avinode-apitoken"]',
  'headers["x-api-key"]',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers["x-avinode-apitoken"]',
];

export const REDACT_PATHS: string[] = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
  ...HEADER_PATHS,
];

export interface LoggerOptions {
  level?: string;
  name?: string;
  destination?: DestinationStream;
}

export function createLogger({ level = 'info', name = 'charterflow', destination }: LoggerOptions = {}): Logger {
  const options = {
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options, pino.destination({ dest: 2, sync: true }));
}

/** Keeps only what is safe to log of an error: its class, type and message (messages never carry secrets). */
export function redactError(error: unknown): { name?: string; type?: string; message: string } {
  if (error instanceof Error) {
    const type = (error as { type?: unknown }).type;
    return { name: error.name, ...(typeof type === 'string' ? { type } : {}), message: error.message };
  }
  return { message: String(error) };
}
