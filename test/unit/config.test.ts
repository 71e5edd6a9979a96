import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  avinodeActivityRateLimit,
  CONFIG_VARIABLES,
  ConfigError,
  DEFAULT_MAX_CACHED_WORKFLOWS,
  LOCAL_AVINODE_DEFAULTS,
  loadCommandConfig,
  loadConfig,
  loadPayloadEncryption,
  webhookConfigOf,
} from '../../platform/config.ts';
import { configErrorOf } from '../support.ts';
import { problemText } from '../../workflows/failures.ts';

const realSandbox = {
  AVINODE_BASE_URL: 'https://sandbox.avinode.com/api',
  AVINODE_API_TOKEN: 'api-token-value-7f1e2d',
  AVINODE_CLIENT_ID: 'client-id-123',
  AVINODE_CLIENT_SECRET: 'sup3r-secret-value-x9',
  AVINODE_CLIENT_AUTH_METHOD: 'client_secret_jwt',
  WEBHOOK_PASSWORD: 'webhook-password-q7',
};

const problemsOf = (env: NodeJS.ProcessEnv): string => configErrorOf(env).message;

describe('configuration', () => {
  it('runs on embedded local defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.avinode.embedded).toBe(true);
    expect(config.avinode.baseUrl).toBeUndefined();
    expect(config.avinode.clientId).toBe(LOCAL_AVINODE_DEFAULTS.AVINODE_CLIENT_ID);
    expect(config.avinode.clientAuthMethod).toBe('client_secret_post');
    expect(config.temporal.taskQueue).toBe('charter-trips');
    expect(config.avinode.tokenMinutes).toBe(30);
    expect(config.webhooks.port).toBe(8281);
  });

  it('serves worker metrics on 127.0.0.1:9464 by default, on METRICS_HOST:METRICS_PORT when set, and not at all with port 0', () => {
    expect(loadConfig({}).metrics).toEqual({ bindAddress: '127.0.0.1:9464' });
    expect(loadConfig({ METRICS_HOST: '0.0.0.0', METRICS_PORT: '9500' }).metrics).toEqual({
      bindAddress: '0.0.0.0:9500',
    });
    expect(loadConfig({ METRICS_HOST: '::1' }).metrics).toEqual({ bindAddress: '[::1]:9464' });
    expect(loadConfig({ METRICS_PORT: '0' }).metrics).toBeUndefined();
    expect(problemsOf({ METRICS_PORT: 'ninety' })).toMatch(/METRICS_PORT/);
    expect(problemsOf({ METRICS_HOST: 'host name/with slash' })).toMatch(
      /METRICS_HOST: must be a host name or IP address/,
    );
  });

  it('treats blank values as unset', () => {
    expect(loadConfig({ AVINODE_BASE_URL: '  ', TEMPORAL_TASK_QUEUE: '' }).temporal.taskQueue).toBe('charter-trips');
  });

  it('accepts a complete real-sandbox configuration and strips the trailing slash of the base URL', () => {
    const config = loadConfig({ ...realSandbox, AVINODE_BASE_URL: 'https://sandbox.avinode.com/api/' });
    expect(config.avinode.embedded).toBe(false);
    expect(config.avinode.baseUrl).toBe('https://sandbox.avinode.com/api');
    expect(config.avinode.clientAuthMethod).toBe('client_secret_jwt');
  });

  it('names every missing variable for a real base URL, and no secret value', () => {
    const message = problemsOf({ AVINODE_BASE_URL: 'https://sandbox.avinode.com/api' });
    for (const name of [
      'AVINODE_API_TOKEN',
      'AVINODE_CLIENT_ID',
      'AVINODE_CLIENT_SECRET',
      'AVINODE_CLIENT_AUTH_METHOD',
      'WEBHOOK_PASSWORD',
    ]) {
      expect(message).toContain(name);
    }
  });

  it('scopes the webhook settings to the processes that receive webhooks', () => {
    const { WEBHOOK_PASSWORD: _password, ...onlyAvinode } = realSandbox;
    expect(problemsOf(onlyAvinode)).toContain('WEBHOOK_PASSWORD: required when AVINODE_BASE_URL is set');
    const command = loadCommandConfig(onlyAvinode);
    expect(command.avinode.baseUrl).toBe('https://sandbox.avinode.com/api');
    expect('webhooks' in command).toBe(false);
    expect(webhookConfigOf(onlyAvinode)).toEqual({
      problems: [{ path: 'WEBHOOK_PASSWORD', message: expect.stringMatching(/^required/), code: 'required' }],
    });
    expect(
      loadCommandConfig({ ...realSandbox, WEBHOOK_PORT: 'eighty', WEBHOOK_PASSWORD: 'short' }).avinode.clientId,
    ).toBe('client-id-123');
    const invalid = webhookConfigOf({
      ...realSandbox,
      WEBHOOK_PASSWORD: 'short',
      WEBHOOK_PUBLIC_URL: 'http://hooks.example.com',
    });
    expect(invalid.problems.map((problem) => problem.path)).toEqual(expect.arrayContaining(['WEBHOOK_PASSWORD']));
    expect(invalid.problems.map(problemText).join('\n')).not.toContain('short');
    expect(() => loadCommandConfig({ ...onlyAvinode, AVINODE_CLIENT_SECRET: '' })).toThrow(ConfigError);
  });

  it('names bad values without echoing secrets', () => {
    const message = problemsOf({
      ...realSandbox,
      AVINODE_CLIENT_AUTH_METHOD: 'client_secret_sup3r-secret-value-x9',
      AVINODE_TOKEN_MINUTES: '121',
      WEBHOOK_PASSWORD: 'short',
      TEMPORAL_ADDRESS: 'not an address',
      AVINODE_AUTH: 'cookie',
    });
    expect(message).toContain('AVINODE_CLIENT_AUTH_METHOD');
    expect(message).toContain('AVINODE_TOKEN_MINUTES');
    expect(message).toContain('WEBHOOK_PASSWORD');
    expect(message).toContain('TEMPORAL_ADDRESS');
    expect(message).toContain('AVINODE_AUTH');
    for (const secret of ['sup3r-secret-value-x9', 'api-token-value-7f1e2d', 'short'])
      expect(message).not.toContain(secret);
  });

  it('requires https for a non-loopback Avinode base URL but allows http on loopback', () => {
    expect(problemsOf({ ...realSandbox, AVINODE_BASE_URL: 'http://sandbox.avinode.com/api' })).toContain(
      'AVINODE_BASE_URL: must use https://',
    );
    expect(loadConfig({ ...realSandbox, AVINODE_BASE_URL: 'http://127.0.0.1:8280/api' }).avinode.baseUrl).toBe(
      'http://127.0.0.1:8280/api',
    );
  });

  it('requires the bearer token in static mode and a secret with a callback URL', () => {
    const message = problemsOf({
      ...realSandbox,
      AVINODE_AUTH: 'static',
      CALLBACK_URL: 'https://backend.example.test/events',
    });
    expect(message).toContain('AVINODE_BEARER_TOKEN');
    expect(message).toContain('CALLBACK_SECRET');
  });

  it('bounds the sticky cache by default and reads the worker tuning settings', () => {
    expect(loadConfig({}).worker).toEqual({
      maxCachedWorkflows: DEFAULT_MAX_CACHED_WORKFLOWS,
      maxConcurrentWorkflowTasks: 40,
      maxConcurrentActivities: 100,
      stickyQueueTimeoutMs: 3_000,
    });
    expect(DEFAULT_MAX_CACHED_WORKFLOWS).toBeLessThanOrEqual(250);
    const tuned = loadConfig({
      WORKER_MAX_CACHED_WORKFLOWS: '500',
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '10',
      WORKER_MAX_CONCURRENT_ACTIVITIES: '25',
      WORKER_STICKY_QUEUE_TIMEOUT_MS: '10000',
    }).worker;
    expect(tuned).toEqual({
      maxCachedWorkflows: 500,
      maxConcurrentWorkflowTasks: 10,
      maxConcurrentActivities: 25,
      stickyQueueTimeoutMs: 10_000,
    });
    expect(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '0' }).worker.maxCachedWorkflows).toBe(0);
  });

  it('names each bad worker tuning value', () => {
    expect(problemsOf({ WORKER_MAX_CACHED_WORKFLOWS: 'many' })).toMatch(/WORKER_MAX_CACHED_WORKFLOWS:/);
    expect(problemsOf({ WORKER_MAX_CACHED_WORKFLOWS: '1' })).toContain(
      'WORKER_MAX_CACHED_WORKFLOWS: must be 0 (no sticky cache) or at least 2',
    );
    expect(problemsOf({ WORKER_MAX_CACHED_WORKFLOWS: '-5' })).toMatch(/WORKER_MAX_CACHED_WORKFLOWS:/);
    expect(problemsOf({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '1' })).toMatch(/WORKER_MAX_CONCURRENT_WORKFLOW_TASKS:/);
    expect(problemsOf({ WORKER_MAX_CONCURRENT_ACTIVITIES: '0' })).toMatch(/WORKER_MAX_CONCURRENT_ACTIVITIES:/);
    expect(problemsOf({ WORKER_MAX_CONCURRENT_ACTIVITIES: '2.5' })).toMatch(/WORKER_MAX_CONCURRENT_ACTIVITIES:/);
    expect(problemsOf({ WORKER_STICKY_QUEUE_TIMEOUT_MS: '100' })).toMatch(/WORKER_STICKY_QUEUE_TIMEOUT_MS:/);
    expect(problemsOf({ WORKER_MAX_CACHED_WORKFLOWS: '20', WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '40' })).toContain(
      'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: must not exceed WORKER_MAX_CACHED_WORKFLOWS',
    );
  });

  it("gives the Avinode task queue the fleet rate less the receivers' read budget, which must leave some", () => {
    expect(avinodeActivityRateLimit(loadConfig({}).avinode)).toBe(15);
    expect(
      avinodeActivityRateLimit(
        loadConfig({
          AVINODE_RATE_LIMIT_PER_SECOND: '10',
          AVINODE_RECEIVER_READS_PER_SECOND: '2.5',
          WEBHOOK_AVINODE_READS_PER_SECOND: '2.5',
        }).avinode,
      ),
    ).toBe(7.5);
    expect(problemsOf({ AVINODE_RATE_LIMIT_PER_SECOND: '5', AVINODE_RECEIVER_READS_PER_SECOND: '5' })).toContain(
      'AVINODE_RECEIVER_READS_PER_SECOND: must be less than AVINODE_RATE_LIMIT_PER_SECOND',
    );
    expect(problemsOf({ AVINODE_RECEIVER_READS_PER_SECOND: '-1' })).toMatch(/AVINODE_RECEIVER_READS_PER_SECOND:/);
  });

  it('refuses a receiver whose own Avinode read budget exceeds the share the workers leave to receivers', () => {
    expect(problemsOf({ AVINODE_RECEIVER_READS_PER_SECOND: '2', WEBHOOK_AVINODE_READS_PER_SECOND: '3' })).toContain(
      'WEBHOOK_AVINODE_READS_PER_SECOND: must not exceed AVINODE_RECEIVER_READS_PER_SECOND',
    );
    expect(
      loadConfig({ AVINODE_RECEIVER_READS_PER_SECOND: '6', WEBHOOK_AVINODE_READS_PER_SECOND: '3' }).webhooks
        .avinodeReadsPerSecond,
    ).toBe(3);
  });

  it('runs Avinode calls on <task queue>-avinode unless AVINODE_TASK_QUEUE names another queue than the main one', () => {
    expect(loadConfig({}).temporal.avinodeTaskQueue).toBe('charter-trips-avinode');
    expect(loadConfig({ TEMPORAL_TASK_QUEUE: 'trips-eu' }).temporal.avinodeTaskQueue).toBe('trips-eu-avinode');
    expect(loadConfig({ AVINODE_TASK_QUEUE: 'avinode-calls' }).temporal.avinodeTaskQueue).toBe('avinode-calls');
    expect(problemsOf({ AVINODE_TASK_QUEUE: 'charter-trips' })).toContain(
      'AVINODE_TASK_QUEUE: must differ from TEMPORAL_TASK_QUEUE',
    );
  });

  it('continues trips as new after 1,500 events by default, 0 or at least 100 when set', () => {
    expect(loadCommandConfig({}).trips.continueAsNewAfterEvents).toBe(1_500);
    expect(loadCommandConfig({ TRIP_CONTINUE_AS_NEW_AFTER_EVENTS: '800' }).trips.continueAsNewAfterEvents).toBe(800);
    expect(loadCommandConfig({ TRIP_CONTINUE_AS_NEW_AFTER_EVENTS: '0' }).trips.continueAsNewAfterEvents).toBe(0);
    expect(problemsOf({ TRIP_CONTINUE_AS_NEW_AFTER_EVENTS: '50' })).toContain(
      'TRIP_CONTINUE_AS_NEW_AFTER_EVENTS: must be 0 (only when the server suggests) or at least 100',
    );
    expect(problemsOf({ TRIP_CONTINUE_AS_NEW_AFTER_EVENTS: 'soon' })).toMatch(/TRIP_CONTINUE_AS_NEW_AFTER_EVENTS:/);
  });

  it('documents every variable of the schema in .env.example', () => {
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const documented = new Set([...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    expect(CONFIG_VARIABLES).toContain('TEMPORAL_ADDRESS');
    expect(CONFIG_VARIABLES.filter((name) => !documented.has(name))).toEqual([]);
  });
});

describe('payload encryption configuration', () => {
  const KEY = Buffer.alloc(32, 7).toString('base64');
  const OLD_KEY = Buffer.alloc(32, 9).toString('base64');

  it('leaves encryption off when nothing is set', () => {
    expect(loadConfig({}).payloadEncryption).toBeUndefined();
    expect(loadPayloadEncryption({})).toBeUndefined();
    expect(loadConfig({}).codecServer.port).toBe(8282);
  });

  it('reads the current key, its id and older decrypt-only keys', () => {
    const env = {
      PAYLOAD_ENCRYPTION_KEY: KEY,
      PAYLOAD_ENCRYPTION_KEY_ID: '2025-06',
      PAYLOAD_DECRYPTION_KEYS: ` 2024-12:${OLD_KEY} `,
    };
    const encryption = loadConfig(env).payloadEncryption!;
    expect(encryption.current?.keyId).toBe('2025-06');
    expect(Buffer.from(encryption.current!.key).equals(Buffer.alloc(32, 7))).toBe(true);
    expect(encryption.previous.map((k) => k.keyId)).toEqual(['2024-12']);
    expect(loadPayloadEncryption(env)).toEqual(encryption);
    expect(loadPayloadEncryption({ PAYLOAD_DECRYPTION_KEYS: `2024-12:${OLD_KEY}` })).toMatchObject({
      previous: [{ keyId: '2024-12' }],
    });
  });

  it('names a key of the wrong length or encoding without echoing it', () => {
    for (const bad of [
      Buffer.alloc(16, 3).toString('base64'),
      'not base64 at all!',
      Buffer.alloc(32, 3).toString('hex'),
    ]) {
      const message = problemsOf({ PAYLOAD_ENCRYPTION_KEY: bad, PAYLOAD_ENCRYPTION_KEY_ID: 'k1' });
      expect(message).toContain('PAYLOAD_ENCRYPTION_KEY: must be the base64 encoding of 32 bytes');
      expect(message).not.toContain(bad);
    }
    expect(() =>
      loadPayloadEncryption({ PAYLOAD_ENCRYPTION_KEY: 'c2hvcnQ=', PAYLOAD_ENCRYPTION_KEY_ID: 'k1' }),
    ).toThrow(/PAYLOAD_ENCRYPTION_KEY: must be/);
  });

  it('names bad decryption keys by position and key id, never by value', () => {
    const short = Buffer.alloc(8, 1).toString('base64');
    const message = problemsOf({ PAYLOAD_DECRYPTION_KEYS: `old:${short},${OLD_KEY},dup:${OLD_KEY},dup:${OLD_KEY}` });
    expect(message).toContain(
      'PAYLOAD_DECRYPTION_KEYS: entry 1 (key id "old"): key must be the base64 encoding of 32 bytes',
    );
    expect(message).toContain('PAYLOAD_DECRYPTION_KEYS: entry 2: expected keyId:base64key');
    expect(message).toContain('PAYLOAD_DECRYPTION_KEYS: entry 4: key id "dup" appears twice');
    expect(message).not.toContain(short);
    expect(message).not.toContain(OLD_KEY);
  });

  it('requires the key and its id together, and distinct ids across current and old keys', () => {
    expect(problemsOf({ PAYLOAD_ENCRYPTION_KEY: KEY })).toContain(
      'PAYLOAD_ENCRYPTION_KEY_ID: required when PAYLOAD_ENCRYPTION_KEY is set',
    );
    expect(problemsOf({ PAYLOAD_ENCRYPTION_KEY_ID: 'k1' })).toContain(
      'PAYLOAD_ENCRYPTION_KEY: required when PAYLOAD_ENCRYPTION_KEY_ID is set',
    );
    expect(problemsOf({ PAYLOAD_ENCRYPTION_KEY: KEY, PAYLOAD_ENCRYPTION_KEY_ID: 'has space' })).toContain(
      'PAYLOAD_ENCRYPTION_KEY_ID: must be 1-64 characters',
    );
    const message = problemsOf({
      PAYLOAD_ENCRYPTION_KEY: KEY,
      PAYLOAD_ENCRYPTION_KEY_ID: 'k1',
      PAYLOAD_DECRYPTION_KEYS: `k1:${OLD_KEY}`,
    });
    expect(message).toContain('PAYLOAD_DECRYPTION_KEYS: key id "k1" is already PAYLOAD_ENCRYPTION_KEY_ID');
    expect(message).not.toContain(KEY);
    expect(message).not.toContain(OLD_KEY);
  });
});
