// TEMPORAL_API_KEY and TEMPORAL_TLS_*: a remote Temporal (a secured cluster, Temporal Cloud) reached
// with the same settings by the worker, the webhook receiver, `charterflow start` and the trip CLI.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../platform/config.ts';
import { temporalConnectionOptions } from '../../platform/temporal-connection.ts';
import { problemText } from '../../workflows/failures.ts';
import { configErrorOf } from '../support.ts';

const API_KEY = 'tmprl-api-key-7f3a91c2e4';
const CLOUD = { TEMPORAL_ADDRESS: 'charter.a1b2c.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'charter.a1b2c' };

const problemsOf = (env: NodeJS.ProcessEnv): string[] => configErrorOf(env).problems.map(problemText);

describe('Temporal connection settings', () => {
  it('connects in plain gRPC to the address, or the local default, when nothing else is set', () => {
    expect(temporalConnectionOptions(loadConfig({}).temporal)).toEqual({ address: '127.0.0.1:7233' });
    expect(temporalConnectionOptions(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' }).temporal)).toEqual({
      address: 'temporal:7233',
    });
  });

  it('sends an API key over TLS by default, and over plain gRPC only when TEMPORAL_TLS=false says so', () => {
    expect(temporalConnectionOptions(loadConfig({ ...CLOUD, TEMPORAL_API_KEY: API_KEY }).temporal)).toEqual({
      address: CLOUD.TEMPORAL_ADDRESS,
      apiKey: API_KEY,
      tls: {},
    });
    expect(
      temporalConnectionOptions(loadConfig({ ...CLOUD, TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS: 'false' }).temporal),
    ).toEqual({ address: CLOUD.TEMPORAL_ADDRESS, apiKey: API_KEY, tls: false });
  });

  it('reads the client certificate, key and CA for mTLS, with the server name override', () => {
    const dir = mkdtempSync(join(tmpdir(), 'charterflow-tls-'));
    for (const name of ['client.pem', 'client.key', 'ca.pem']) writeFileSync(join(dir, name), `contents of ${name}`);
    const options = temporalConnectionOptions(
      loadConfig({
        ...CLOUD,
        TEMPORAL_TLS_CERT_PATH: join(dir, 'client.pem'),
        TEMPORAL_TLS_KEY_PATH: join(dir, 'client.key'),
        TEMPORAL_TLS_CA_PATH: join(dir, 'ca.pem'),
        TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
      }).temporal,
    );
    const tls = options.tls || undefined;
    expect(tls?.serverNameOverride).toBe('temporal.internal');
    expect(Buffer.from(tls!.clientCertPair!.crt).toString()).toBe('contents of client.pem');
    expect(Buffer.from(tls!.clientCertPair!.key).toString()).toBe('contents of client.key');
    expect(Buffer.from(tls!.serverRootCACertificate!).toString()).toBe('contents of ca.pem');
  });

  it('names the variable and path of a TLS file it cannot read, as a configuration error', () => {
    const temporal = loadConfig({ ...CLOUD, TEMPORAL_TLS_CA_PATH: '/nonexistent/ca.pem' }).temporal;
    expect(() => temporalConnectionOptions(temporal)).toThrow(ConfigError);
    expect(() => temporalConnectionOptions(temporal)).toThrow(
      'TEMPORAL_TLS_CA_PATH: cannot read /nonexistent/ca.pem (ENOENT)',
    );
  });

  it('rejects settings that contradict each other or have no remote Temporal, never echoing the API key', () => {
    const problems = [
      ...problemsOf({ TEMPORAL_API_KEY: API_KEY }),
      ...problemsOf({ ...CLOUD, TEMPORAL_TLS_CERT_PATH: '/etc/client.pem' }),
      ...problemsOf({ ...CLOUD, TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA_PATH: '/etc/ca.pem' }),
      ...problemsOf({ ...CLOUD, TEMPORAL_TLS: 'yes' }),
    ];
    expect(problems).toEqual([
      expect.stringMatching(/^TEMPORAL_ADDRESS: required with TEMPORAL_API_KEY/),
      expect.stringMatching(/^TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH: set both/),
      expect.stringMatching(/^TEMPORAL_TLS: is false, yet TEMPORAL_TLS_\* settings are given/),
      expect.stringMatching(/^TEMPORAL_TLS: /),
    ]);
    expect(problems.join('\n')).not.toContain(API_KEY);
  });

  it('reads the TLS files under the names of Temporal environment configuration, inline PEM text included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'charterflow-tls-'));
    writeFileSync(join(dir, 'ca.pem'), 'contents of ca.pem');
    const tls =
      temporalConnectionOptions(
        loadConfig({
          ...CLOUD,
          TEMPORAL_TLS_CLIENT_CERT_DATA: 'inline certificate',
          TEMPORAL_TLS_CLIENT_KEY_DATA: 'inline key',
          TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(dir, 'ca.pem'),
        }).temporal,
      ).tls || undefined;
    expect(Buffer.from(tls!.clientCertPair!.crt).toString()).toBe('inline certificate');
    expect(Buffer.from(tls!.clientCertPair!.key).toString()).toBe('inline key');
    expect(Buffer.from(tls!.serverRootCACertificate!).toString()).toBe('contents of ca.pem');
    expect(
      problemsOf({ ...CLOUD, TEMPORAL_TLS_CA_PATH: '/a.pem', TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/b.pem' }),
    ).toEqual(['TEMPORAL_TLS_SERVER_CA_CERT_PATH and TEMPORAL_TLS_CA_PATH: name the same file; set one of them']);
  });

  describe('a profile of a Temporal configuration file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'charterflow-profile-'));
    const file = join(dir, 'temporal.toml');
    writeFileSync(
      file,
      [
        '[profile.default]',
        'address = "127.0.0.1:7233"',
        '[profile.cloud]',
        `address = "${CLOUD.TEMPORAL_ADDRESS}"`,
        `namespace = "${CLOUD.TEMPORAL_NAMESPACE}"`,
        `api_key = "${API_KEY}"`,
        '[profile.cloud.tls]',
        'server_name = "temporal.internal"',
      ].join('\n'),
    );

    it('fills in the address, namespace, API key and TLS the environment leaves unset', () => {
      const config = loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' });
      expect(config.temporal.namespace).toBe(CLOUD.TEMPORAL_NAMESPACE);
      expect(temporalConnectionOptions(config.temporal)).toEqual({
        address: CLOUD.TEMPORAL_ADDRESS,
        apiKey: API_KEY,
        tls: { serverNameOverride: 'temporal.internal' },
      });
    });

    it('lets the environment win over the profile, and reads the default profile without TEMPORAL_PROFILE', () => {
      expect(
        loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud', TEMPORAL_NAMESPACE: 'other' }).temporal
          .namespace,
      ).toBe('other');
      expect(loadConfig({ TEMPORAL_CONFIG_FILE: file }).temporal.address).toBe('127.0.0.1:7233');
    });

    it('reads no file unless TEMPORAL_CONFIG_FILE or TEMPORAL_PROFILE asks for one, so the embedded dev server stays the default', () => {
      expect(loadConfig({}).temporal.address).toBeUndefined();
    });

    it('names the file or profile it cannot use, never its contents', () => {
      const broken = join(dir, 'broken.toml');
      writeFileSync(broken, `[profile.default]\napi_key = ${API_KEY}`);
      const problems = [
        ...problemsOf({ TEMPORAL_CONFIG_FILE: join(dir, 'missing.toml') }),
        ...problemsOf({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' }),
        ...problemsOf({ TEMPORAL_CONFIG_FILE: broken }),
      ];
      expect(problems).toEqual([
        `TEMPORAL_CONFIG_FILE: cannot read ${join(dir, 'missing.toml')} (ENOENT)`,
        `TEMPORAL_PROFILE: no profile "staging" in ${file}`,
        `TEMPORAL_CONFIG_FILE: ${broken} is not a valid Temporal configuration file (TOML)`,
      ]);
      expect(problems.join('\n')).not.toContain(API_KEY);
    });
  });
});
