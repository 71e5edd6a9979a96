// Connection options for every Temporal client and worker of this process: the address plus the
// API key and TLS material of TEMPORAL_API_KEY / TEMPORAL_TLS_* or a TEMPORAL_PROFILE (platform/config.ts),
// as @temporalio/envconfig's toClientOptions builds them, with unreadable files as configuration errors.
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { ConfigError, type Config, type TlsSource } from './config.ts';

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

export interface TemporalConnectionOptions {
  address: string;
  apiKey?: string;
  /** false: plain gRPC even with an API key (the SDK would otherwise switch TLS on for a key). */
  tls?: TLSConfig | false;
}

function readTlsFile({ variable, ...source }: TlsSource, read: (path: string) => Buffer): Buffer {
  if ('data' in source) return Buffer.from(source.data, 'utf8');
  const { path } = source;
  try {
    return read(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    // A configuration problem like any other: commands report it as such (exit 78).
    throw new ConfigError([{ path: variable, message: `cannot read ${path} (${code})` }]);
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
            ...(tls.serverCACert ? { serverRootCACertificate: readTlsFile(tls.serverCACert, read) } : {}),
            ...(tls.clientCert && tls.clientKey
              ? { clientCertPair: { crt: readTlsFile(tls.clientCert, read), key: readTlsFile(tls.clientKey, read) } }
              : {}),
          },
        }
      : {}),
  };
}
