// Connection options for every Temporal client and worker of this process: the address plus the
// API key and TLS material of TEMPORAL_API_KEY / TEMPORAL_TLS_* (platform/config.ts).
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { ConfigError, type Config } from './config.ts';

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

export interface TemporalConnectionOptions {
  address: string;
  apiKey?: string;
  /** false: plain gRPC even with an API key (the SDK would otherwise switch TLS on for a key). */
  tls?: TLSConfig | false;
}

function readTlsFile(variable: string, path: string, read: (path: string) => Buffer): Buffer {
  try {
    return read(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    // A configuration problem like any other: commands report it as such (exit 78).
    throw new ConfigError([`${variable}: cannot read ${path} (${code})`]);
  }
}

/** Options for `Connection.connect` and `NativeConnection.connect`; `address` overrides TEMPORAL_ADDRESS. */
export function temporalConnectionOptions(
  temporal: Pick<Config['temporal'], 'address' | 'connection'>,
  options: { address?: string; read?: (path: string) => Buffer } = {},
): TemporalConnectionOptions {
  const read = options.read ?? ((path: string) => readFileSync(path));
  const address = options.address ?? temporal.address ?? DEFAULT_TEMPORAL_ADDRESS;
  const { apiKey, tls } = temporal.connection ?? {};
  return {
    address,
    ...(apiKey ? { apiKey, ...(tls ? {} : { tls: false as const }) } : {}),
    ...(tls
      ? {
          tls: {
            ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
            ...(tls.caPath ? { serverRootCACertificate: readTlsFile('TEMPORAL_TLS_CA_PATH', tls.caPath, read) } : {}),
            ...(tls.certPath && tls.keyPath
              ? { clientCertPair: { crt: readTlsFile('TEMPORAL_TLS_CERT_PATH', tls.certPath, read), key: readTlsFile('TEMPORAL_TLS_KEY_PATH', tls.keyPath, read) } }
              : {}),
          },
        }
      : {}),
  };
}
