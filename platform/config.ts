// One zod schema for every environment variable of design.md §2, parsed once at start.
// Errors name variables, never their values.
import { readFileSync } from 'node:fs';
import { loadClientConfigProfile, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import { z } from 'zod';
import { avinodeTaskQueueOf, DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS, DEFAULT_TASK_QUEUE } from '../workflows/contract.ts';
import { problemText, type Problem } from '../workflows/failures.ts';
import { HTTPS_RULE, isHttpsOrLoopback } from './urls.ts';

/**
 * Sticky-cache bound of a worker (WORKER_MAX_CACHED_WORKFLOWS). A cached trip holds ~0.4 MiB; the
 * SDK's heap-based default (~2,300 on a 2 GiB heap) let 1,000 open trips take 425 MiB. 200 keeps the
 * cache near 80 MiB (the goal: 100 MiB per 1,000 open trips), more than a 2-core worker's busy set (trips polling every 30 s–15 min wake a few
 * times a second in all), and an evicted trip pays one replay of its history (≤ 1,500 events, see
 * continue-as-new) at its next wake: milliseconds (README, "Worker tuning").
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 200;

/**
 * Credentials of the embedded emulator's one API connection, used when AVINODE_BASE_URL is unset.
 * They only ever travel to a loopback emulator; `.env.example` documents the same values.
 */
export const LOCAL_AVINODE_DEFAULTS = {
  AVINODE_API_TOKEN: '00000000-0000-4000-8000-00000000c4a7',
  AVINODE_CLIENT_ID: 'charterflow-local',
  AVINODE_CLIENT_SECRET: 'local-emulator-secret',
  AVINODE_CLIENT_AUTH_METHOD: 'client_secret_post',
  AVINODE_BEARER_TOKEN: 'local-emulator-static-token',
  WEBHOOK_USERNAME: 'avinode',
  WEBHOOK_PASSWORD: 'local-webhook-password',
} as const;

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

const SECRET_VARIABLES = new Set([
  'AVINODE_API_TOKEN',
  'AVINODE_BEARER_TOKEN',
  'AVINODE_CLIENT_SECRET',
  'WEBHOOK_PASSWORD',
  'CALLBACK_SECRET',
  'PAYLOAD_ENCRYPTION_KEY',
  'PAYLOAD_DECRYPTION_KEYS',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
]);

const port = z.coerce.number().int().min(0).max(65_535);
const url = z.url({ protocol: /^https?$/ });

const ENCRYPTION_KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const KEY_ID_RULE = 'must be 1-64 characters of A-Z a-z 0-9 . _ -';
const KEY_RULE = `must be the base64 encoding of ${ENCRYPTION_KEY_BYTES} bytes (e.g. \`openssl rand -base64 32\`)`;

/** base64 (or base64url) of exactly 32 bytes; anything else is undefined. Never echoes the input. */
function decodeKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return undefined;
  const bytes = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
  return bytes.byteLength === ENCRYPTION_KEY_BYTES ? bytes : undefined;
}

// Custom issues carry our own messages, which never contain the value (even for secret variables).
const encryptionKey = z.string().transform((text, ctx): Uint8Array => {
  const key = decodeKey(text);
  if (!key) {
    ctx.addIssue({ code: 'custom', message: KEY_RULE });
    return z.NEVER;
  }
  return key;
});

/** `id:base64key` entries separated by commas; messages name the entry by position and id only. */
const decryptionKeys = z.string().transform((text, ctx) => {
  const keys: { keyId: string; key: Uint8Array }[] = [];
  text.split(',').forEach((entry, index) => {
    const at = entry.indexOf(':');
    const keyId = at > 0 ? entry.slice(0, at).trim() : '';
    const where = `entry ${index + 1}`;
    if (!KEY_ID.test(keyId)) {
      ctx.addIssue({ code: 'custom', message: `${where}: expected keyId:base64key, keyId ${KEY_ID_RULE}` });
      return;
    }
    const key = decodeKey(entry.slice(at + 1));
    if (!key) ctx.addIssue({ code: 'custom', message: `${where} (key id "${keyId}"): key ${KEY_RULE}` });
    else if (keys.some((k) => k.keyId === keyId))
      ctx.addIssue({ code: 'custom', message: `${where}: key id "${keyId}" appears twice` });
    else keys.push({ keyId, key });
  });
  return keys;
});

// Temporal writes a version as `<deployment>.<buildId>`, so a deployment name has no dot.
const WORKER_DEPLOYMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
const WORKER_DEPLOYMENT_RULE = 'must be 1-100 characters of A-Z a-z 0-9 _ - (no dot; e.g. charterflow)';
const WORKER_BUILD_ID = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/;
const WORKER_BUILD_ID_RULE = 'must be 1-100 characters of A-Z a-z 0-9 . _ + - (e.g. a git commit or image tag)';

const Env = z.object({
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:/]+:\d+$/, 'must be host:port')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  // The task queue of the Avinode-calling activities (default `<TEMPORAL_TASK_QUEUE>-avinode`); workers
  // poll it and clients write it into the trips they start, so set it alike for both.
  AVINODE_TASK_QUEUE: z.string().min(1).optional(),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  // A Temporal cluster or Temporal Cloud: API key and/or TLS (mTLS with a client certificate), under
  // the names of Temporal's environment configuration (@temporalio/envconfig, the Temporal CLI).
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_CERT_DATA: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_DATA: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  // Earlier names of the three *_PATH variables above, still read.
  TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CA_PATH: z.string().min(1).optional(),
  // A profile of a Temporal TOML configuration file (read before this schema, see withTemporalProfile).
  TEMPORAL_CONFIG_FILE: z.string().min(1).optional(),
  TEMPORAL_PROFILE: z.string().min(1).optional(),
  // Worker Versioning (docs/upgrades.md): the worker deployment and this build's id within it.
  TEMPORAL_WORKER_DEPLOYMENT: z.string().regex(WORKER_DEPLOYMENT_NAME, WORKER_DEPLOYMENT_RULE).optional(),
  TEMPORAL_WORKER_BUILD_ID: z.string().regex(WORKER_BUILD_ID, WORKER_BUILD_ID_RULE).optional(),
  // Baked into the container image at build time (Dockerfile BUILD_ID); TEMPORAL_WORKER_BUILD_ID wins.
  CHARTERFLOW_BUILD_ID: z.string().regex(WORKER_BUILD_ID, WORKER_BUILD_ID_RULE).optional(),

  AVINODE_BASE_URL: url.optional(),
  AVINODE_API_TOKEN: z.string().min(1).optional(),
  AVINODE_AUTH: z.enum(['oauth', 'static']).default('oauth'),
  AVINODE_BEARER_TOKEN: z.string().min(1).optional(),
  AVINODE_CLIENT_ID: z.string().min(1).optional(),
  AVINODE_CLIENT_SECRET: z.string().min(1).optional(),
  AVINODE_CLIENT_AUTH_METHOD: z.enum(CLIENT_AUTH_METHODS).optional(),
  AVINODE_TOKEN_URL: url.optional(),
  AVINODE_TOKEN_MINUTES: z.coerce.number().int().min(1).max(120).default(30),
  AVINODE_PRODUCT: z.string().min(1).default('charterflow/0.1'),
  AVINODE_API_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/, 'must look like v1.0')
    .default('v1.0'),
  AVINODE_ACT_AS_ACCOUNT: z.string().min(1).optional(),
  AVINODE_RATE_LIMIT_PER_SECOND: z.coerce.number().positive().default(20),
  // Share of AVINODE_RATE_LIMIT_PER_SECOND kept for Avinode reads webhook receivers make themselves
  // (fleet-wide: the sum of every receiver's WEBHOOK_AVINODE_READS_PER_SECOND); the Avinode task queue
  // gets the rest. The default fits one receiver at its default budget.
  AVINODE_RECEIVER_READS_PER_SECOND: z.coerce.number().min(0).default(5),
  AVINODE_HTTP_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),

  EMULATOR_PORT: port.default(8280),
  WEBHOOK_PORT: port.default(8281),
  WEBHOOK_USERNAME: z.string().min(1).optional(),
  WEBHOOK_PASSWORD: z.string().min(8).optional(),
  WEBHOOK_PUBLIC_URL: url.optional(),
  WEBHOOK_MAX_BODY_BYTES: z.coerce.number().int().min(256).max(1_048_576).default(65_536),
  WEBHOOK_SUBSCRIPTION_CHECK_MS: z.coerce.number().int().min(0).default(600_000),
  /** Avinode reads per second one webhook receiver may make to find an event's trip (on top of AVINODE_RATE_LIMIT_PER_SECOND). */
  WEBHOOK_AVINODE_READS_PER_SECOND: z.coerce.number().positive().max(1_000).default(5),
  CALLBACK_URL: url.optional(),
  CALLBACK_SECRET: z.string().min(16).optional(),

  PAYLOAD_ENCRYPTION_KEY: encryptionKey.optional(),
  PAYLOAD_ENCRYPTION_KEY_ID: z.string().regex(KEY_ID, KEY_ID_RULE).optional(),
  PAYLOAD_DECRYPTION_KEYS: decryptionKeys.optional(),
  CODEC_SERVER_PORT: port.default(8282),
  // Browser origins of the Temporal Web UI allowed to call `charterflow codec` (default: the local UI).
  CODEC_ALLOWED_ORIGINS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(
          z
            .string()
            .regex(
              /^https?:\/\/[^/\s]+$/,
              'each entry must be an origin such as http://127.0.0.1:8233 (scheme and host, no path)',
            ),
        )
        .min(1),
    )
    .optional(),
  // Bearer check of `charterflow codec`: the Temporal UI's OIDC provider, whose access tokens the UI
  // passes along (TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true). Required when it listens beyond loopback.
  CODEC_AUTH_ISSUER: url.optional(),
  CODEC_AUTH_JWKS_URL: url.optional(),
  CODEC_AUTH_AUDIENCE: z.string().min(1).optional(),
  // `none`: no bearer check although it listens beyond loopback; only for a container whose port the
  // runtime publishes on the host's loopback alone (docker-compose.yml's codec profile).
  CODEC_AUTH: z.enum(['bearer', 'none']).optional(),
  // The worker's Prometheus endpoint (SDK and charterflow metrics); 0 turns it off.
  METRICS_PORT: port.default(9464),
  METRICS_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:[\]-]+$/, 'must be a host name or IP address')
    .default('127.0.0.1'),
  // An OTLP/HTTP collector: workers then trace activities (workers/tracing.ts). Unset: no tracing.
  OTEL_EXPORTER_OTLP_ENDPOINT: url.optional(),
  OTEL_SERVICE_NAME: z.string().max(200).optional(),

  // Worker tuning (README "Worker tuning"): sticky cache, and concurrency of each queue's worker.
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce
    .number()
    .int()
    .min(0)
    .max(100_000)
    .refine((n) => n !== 1, 'must be 0 (no sticky cache) or at least 2')
    .default(DEFAULT_MAX_CACHED_WORKFLOWS),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(10_000).default(40),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(10_000).default(100),
  // How long a trip's task waits on its worker's sticky queue before any worker may take it (SDK default 10 s).
  WORKER_STICKY_QUEUE_TIMEOUT_MS: z.coerce.number().int().min(500).max(600_000).default(3_000),
  // Events in one trip run before it continues as new, for trips whose request sets none (0: only when the server suggests).
  TRIP_CONTINUE_AS_NEW_AFTER_EVENTS: z.coerce
    .number()
    .int()
    .min(0)
    .max(50_000)
    .refine((n) => n === 0 || n >= 100, 'must be 0 (only when the server suggests) or at least 100')
    .default(DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS),

  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
});
type Env = z.infer<typeof Env>;

/** Every variable the schema reads, in its order (`.env.example` documents each). */
export const CONFIG_VARIABLES = Object.keys(Env.shape) as (keyof Env)[];

const EncryptionEnv = Env.pick({
  PAYLOAD_ENCRYPTION_KEY: true,
  PAYLOAD_ENCRYPTION_KEY_ID: true,
  PAYLOAD_DECRYPTION_KEYS: true,
});

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: readonly Problem[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${problemText(p)}`).join('\n')}`);
  }
}

/** HTTPS is required for every URL that carries credentials, except towards this machine. */
function requireHttps(name: string, value: string | undefined, problems: Problem[]) {
  if (value && !isHttpsOrLoopback(value)) problems.push({ path: name, message: HTTPS_RULE, code: 'insecure_url' });
}

function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        // A rule over several variables (settle below) raised this problem itself.
        const problem =
          issue.code === 'custom' ? (issue.params as { problem?: Problem } | undefined)?.problem : undefined;
        if (problem) return problem;
        const name = String(issue.path[0] ?? '(environment)');
        // zod messages for our checks never contain the input; keep it that way for secrets.
        const message =
          SECRET_VARIABLES.has(name) && issue.code !== 'too_small' && issue.code !== 'custom'
            ? 'is invalid'
            : issue.message;
        return { path: name, message };
      }),
    );
  }
  return parsed.data;
}

/** Runs a rule over several variables inside a schema's transform: its problems become issues of the parse. */
function settle<T>(ctx: z.RefinementCtx, rule: (problems: Problem[]) => T): T {
  const problems: Problem[] = [];
  const value = rule(problems);
  for (const problem of problems)
    ctx.addIssue({ code: 'custom', path: [problem.path], message: problem.message, params: { problem } });
  return problems.length > 0 ? z.NEVER : value;
}

/** Keys of the payload codec (platform/payload-codec.ts). Unset variables: undefined, no encryption. */
function payloadEncryptionOf(e: z.infer<typeof EncryptionEnv>, problems: Problem[]) {
  const key = e.PAYLOAD_ENCRYPTION_KEY;
  const keyId = e.PAYLOAD_ENCRYPTION_KEY_ID;
  const previous = e.PAYLOAD_DECRYPTION_KEYS ?? [];
  if (key && !keyId)
    problems.push({
      path: 'PAYLOAD_ENCRYPTION_KEY_ID',
      message: 'required when PAYLOAD_ENCRYPTION_KEY is set (stored with each payload, for key rotation)',
      code: 'required',
    });
  if (keyId && !key)
    problems.push({
      path: 'PAYLOAD_ENCRYPTION_KEY',
      message: 'required when PAYLOAD_ENCRYPTION_KEY_ID is set',
      code: 'required',
    });
  if (keyId && previous.some((k) => k.keyId === keyId)) {
    problems.push({
      path: 'PAYLOAD_DECRYPTION_KEYS',
      message: `key id "${keyId}" is already PAYLOAD_ENCRYPTION_KEY_ID; give each key its own id`,
    });
  }
  if (!key && previous.length === 0) return undefined;
  // current: encrypts new payloads, absent when only PAYLOAD_DECRYPTION_KEYS is set (reads old
  // histories); previous: decrypt-only keys from earlier rotations.
  return { ...(key && keyId ? { current: { keyId, key } } : {}), previous };
}

const EncryptionSettings = EncryptionEnv.transform((e, ctx) =>
  settle(ctx, (problems) => payloadEncryptionOf(e, problems)),
);
export type PayloadEncryptionConfig = Settings<NonNullable<z.output<typeof EncryptionSettings>>>;

/**
 * Only the payload-encryption variables, for processes that need no other configuration (the
 * CharterClient of a backend, the trip CLI). Same schema and messages as loadConfig.
 */
export function loadPayloadEncryption(env: NodeJS.ProcessEnv = process.env): PayloadEncryptionConfig | undefined {
  return parseEnv(EncryptionSettings, env);
}

/** Variables of the webhook receiver (and of the subscriptions a worker registers with Avinode). */
const WEBHOOK_VARIABLES = [
  'WEBHOOK_PORT',
  'WEBHOOK_USERNAME',
  'WEBHOOK_PASSWORD',
  'WEBHOOK_PUBLIC_URL',
  'WEBHOOK_MAX_BODY_BYTES',
  'WEBHOOK_SUBSCRIPTION_CHECK_MS',
  'WEBHOOK_AVINODE_READS_PER_SECOND',
] as const;
const WebhookEnv = Env.pick(
  Object.fromEntries(WEBHOOK_VARIABLES.map((name) => [name, true])) as Record<(typeof WEBHOOK_VARIABLES)[number], true>,
);
const CoreEnv = Env.omit(
  Object.fromEntries(WEBHOOK_VARIABLES.map((name) => [name, true])) as Record<(typeof WEBHOOK_VARIABLES)[number], true>,
);

/** The receiver's settings; `embedded` (AVINODE_BASE_URL unset) supplies the local password. */
const webhookSettings = (embedded: boolean) =>
  WebhookEnv.transform((w, ctx) =>
    settle(ctx, (problems) => {
      const password = w.WEBHOOK_PASSWORD ?? (embedded ? LOCAL_AVINODE_DEFAULTS.WEBHOOK_PASSWORD : undefined);
      if (!password)
        problems.push({
          path: 'WEBHOOK_PASSWORD',
          message: 'required when AVINODE_BASE_URL is set (Avinode authenticates its webhooks with it)',
          code: 'required',
        });
      requireHttps('WEBHOOK_PUBLIC_URL', w.WEBHOOK_PUBLIC_URL, problems);
      return {
        port: w.WEBHOOK_PORT,
        username: w.WEBHOOK_USERNAME ?? LOCAL_AVINODE_DEFAULTS.WEBHOOK_USERNAME,
        password: password ?? '',
        publicUrl: w.WEBHOOK_PUBLIC_URL,
        maxBodyBytes: w.WEBHOOK_MAX_BODY_BYTES,
        /** How often a worker re-checks its webhook subscriptions (0: only at start and after a wipe is noticed). */
        subscriptionCheckMs: w.WEBHOOK_SUBSCRIPTION_CHECK_MS,
        /** The receiver's own Avinode read budget (chats and seller responses name no trip: the message is read). */
        avinodeReadsPerSecond: w.WEBHOOK_AVINODE_READS_PER_SECOND,
      };
    }),
  );
export type WebhookConfig = Settings<z.output<ReturnType<typeof webhookSettings>>>;

/** The webhook settings, or the problems that stop the receiver and the worker (names, never values). */
export function webhookConfigOf(env: NodeJS.ProcessEnv = process.env): {
  webhooks?: WebhookConfig;
  problems: readonly Problem[];
} {
  try {
    return { webhooks: parseEnv(webhookSettings(!env.AVINODE_BASE_URL?.trim()), env), problems: [] };
  } catch (error) {
    if (error instanceof ConfigError) return { problems: error.problems };
    throw error;
  }
}

/**
 * The whole configuration, for processes that receive or subscribe to webhooks (`worker`,
 * `webhooks`, `start`): every problem, webhook settings included, stops them.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  let core: Readonly<CommandConfig> | undefined;
  const problems: Problem[] = [];
  try {
    core = loadCommandConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  const { webhooks, problems: webhookProblems } = webhookConfigOf(env);
  problems.push(...webhookProblems);
  if (core && webhooks && webhooks.avinodeReadsPerSecond > core.avinode.receiverReadsPerSecond) {
    problems.push({
      path: 'WEBHOOK_AVINODE_READS_PER_SECOND',
      message:
        'must not exceed AVINODE_RECEIVER_READS_PER_SECOND (the share of the Avinode rate limit the workers leave to the receivers)',
    });
  }
  if (problems.length > 0 || !core || !webhooks) throw new ConfigError(problems);
  return Object.freeze({ ...core, webhooks });
}

/**
 * The configuration of commands that never receive webhooks (`charterflow avinode`, `doctor`,
 * `trip`): webhook settings may be absent or invalid; everything else is checked as in loadConfig.
 */
export function loadCommandConfig(env: NodeJS.ProcessEnv = process.env): Readonly<CommandConfig> {
  return Object.freeze(parseEnv(CommandSettings, withTemporalProfile(env)));
}

/** The configuration's shape: every value typed by the schema, every default and cross-variable rule here. */
function commandConfigOf(e: z.infer<typeof CoreEnv>, problems: Problem[]) {
  const embedded = e.AVINODE_BASE_URL === undefined;
  const pick = <K extends keyof typeof LOCAL_AVINODE_DEFAULTS>(key: K, value: string | undefined) =>
    value ?? (embedded ? LOCAL_AVINODE_DEFAULTS[key] : undefined);

  const apiToken = pick('AVINODE_API_TOKEN', e.AVINODE_API_TOKEN);
  const clientId = pick('AVINODE_CLIENT_ID', e.AVINODE_CLIENT_ID);
  const clientSecret = pick('AVINODE_CLIENT_SECRET', e.AVINODE_CLIENT_SECRET);
  const clientAuthMethod = (pick('AVINODE_CLIENT_AUTH_METHOD', e.AVINODE_CLIENT_AUTH_METHOD) ??
    'client_secret_post') as ClientAuthMethod;

  if (!apiToken)
    problems.push({ path: 'AVINODE_API_TOKEN', message: 'required when AVINODE_BASE_URL is set', code: 'required' });
  if (e.AVINODE_AUTH === 'static') {
    if (!e.AVINODE_BEARER_TOKEN && !embedded)
      problems.push({ path: 'AVINODE_BEARER_TOKEN', message: 'required when AVINODE_AUTH=static', code: 'required' });
  } else {
    if (!clientId)
      problems.push({ path: 'AVINODE_CLIENT_ID', message: 'required when AVINODE_AUTH=oauth', code: 'required' });
    if (!clientSecret)
      problems.push({ path: 'AVINODE_CLIENT_SECRET', message: 'required when AVINODE_AUTH=oauth', code: 'required' });
    if (!e.AVINODE_CLIENT_AUTH_METHOD && !embedded) {
      problems.push({
        path: 'AVINODE_CLIENT_AUTH_METHOD',
        message: `required when AVINODE_AUTH=oauth (one of ${CLIENT_AUTH_METHODS.join(', ')})`,
        code: 'required',
      });
    }
  }
  if (e.AVINODE_TASK_QUEUE === e.TEMPORAL_TASK_QUEUE) {
    problems.push({
      path: 'AVINODE_TASK_QUEUE',
      message: 'must differ from TEMPORAL_TASK_QUEUE (its rate limit would hold back callbacks and lookups too)',
    });
  }
  if (e.AVINODE_RECEIVER_READS_PER_SECOND >= e.AVINODE_RATE_LIMIT_PER_SECOND) {
    problems.push({
      path: 'AVINODE_RECEIVER_READS_PER_SECOND',
      message:
        'must be less than AVINODE_RATE_LIMIT_PER_SECOND (the rest is the Avinode task queue rate of the workers)',
    });
  }
  if (e.WORKER_MAX_CACHED_WORKFLOWS > 0 && e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS > e.WORKER_MAX_CACHED_WORKFLOWS) {
    problems.push({
      path: 'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS',
      message: 'must not exceed WORKER_MAX_CACHED_WORKFLOWS (each task in flight holds a cached workflow)',
    });
  }
  if (e.CALLBACK_URL && !e.CALLBACK_SECRET)
    problems.push({ path: 'CALLBACK_SECRET', message: 'required when CALLBACK_URL is set', code: 'required' });
  requireHttps('AVINODE_BASE_URL', e.AVINODE_BASE_URL, problems);
  requireHttps('AVINODE_TOKEN_URL', e.AVINODE_TOKEN_URL, problems);
  requireHttps('CALLBACK_URL', e.CALLBACK_URL, problems);
  const payloadEncryption = payloadEncryptionOf(e, problems);
  const codecAuth = codecAuthOf(e, problems);
  const connection = temporalConnectionOf(e, problems);
  const workerDeployment = workerDeploymentOf(e, problems);

  return {
    temporal: {
      /** Unset: the embedded dev server is started by `charterflow start`. */
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      avinodeTaskQueue: e.AVINODE_TASK_QUEUE ?? avinodeTaskQueueOf(e.TEMPORAL_TASK_QUEUE),
      uiPort: e.TEMPORAL_UI_PORT,
      cliPath: e.TEMPORAL_CLI_PATH,
      // connection unset: plain gRPC without credentials (the dev server, a local cluster).
      ...(connection ? { connection } : {}),
      // workerDeployment unset: workers are unversioned (the local stack, tests).
      ...(workerDeployment ? { workerDeployment } : {}),
    },
    avinode: {
      /** Unset means the embedded emulator (`charterflow start` fills in its URL). */
      baseUrl: e.AVINODE_BASE_URL?.replace(/\/+$/, ''),
      embedded,
      apiToken: apiToken!,
      auth: e.AVINODE_AUTH,
      bearerToken: pick('AVINODE_BEARER_TOKEN', e.AVINODE_BEARER_TOKEN),
      clientId,
      clientSecret,
      clientAuthMethod,
      tokenUrl: e.AVINODE_TOKEN_URL,
      tokenMinutes: e.AVINODE_TOKEN_MINUTES,
      product: e.AVINODE_PRODUCT,
      apiVersion: e.AVINODE_API_VERSION,
      actAsAccount: e.AVINODE_ACT_AS_ACCOUNT,
      rateLimitPerSecond: e.AVINODE_RATE_LIMIT_PER_SECOND,
      receiverReadsPerSecond: e.AVINODE_RECEIVER_READS_PER_SECOND,
      httpTimeoutMs: e.AVINODE_HTTP_TIMEOUT_MS,
    },
    worker: {
      maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
      maxConcurrentWorkflowTasks: e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      maxConcurrentActivities: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
      stickyQueueTimeoutMs: e.WORKER_STICKY_QUEUE_TIMEOUT_MS,
    },
    trips: { continueAsNewAfterEvents: e.TRIP_CONTINUE_AS_NEW_AFTER_EVENTS },
    emulator: { port: e.EMULATOR_PORT },
    callback: { url: e.CALLBACK_URL, secret: e.CALLBACK_SECRET },
    // payloadEncryption unset: payloads are stored in plain, as before.
    ...(payloadEncryption ? { payloadEncryption } : {}),
    /** Local remote-codec endpoint `charterflow start` serves for the Web UI when encryption is on. */
    codecServer: {
      port: e.CODEC_SERVER_PORT,
      ...(e.CODEC_ALLOWED_ORIGINS ? { allowedOrigins: e.CODEC_ALLOWED_ORIGINS } : {}),
      ...(codecAuth ? { auth: codecAuth } : {}),
    },
    // metrics: the Prometheus scrape endpoint of worker processes; unset when METRICS_PORT=0.
    ...(e.METRICS_PORT > 0 ? { metrics: { bindAddress: hostPort(e.METRICS_HOST, e.METRICS_PORT) } } : {}),
    // tracing unset: no OpenTelemetry spans (OTEL_EXPORTER_OTLP_ENDPOINT unset).
    ...(e.OTEL_EXPORTER_OTLP_ENDPOINT
      ? {
          tracing: {
            otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
            ...(e.OTEL_SERVICE_NAME ? { serviceName: e.OTEL_SERVICE_NAME } : {}),
          },
        }
      : {}),
    logLevel: e.LOG_LEVEL,
  };
}

const CommandSettings = CoreEnv.transform((e, ctx) => settle(ctx, (problems) => commandConfigOf(e, problems)));

/** A schema's output as its readers see it: a setting that may be undefined is optional (`tokenUrl?: string`). */
type Settings<T> = T extends Uint8Array | readonly unknown[] | string | number | boolean | null | undefined
  ? T
  : { [K in keyof T as undefined extends T[K] ? K : never]?: Settings<Exclude<T[K], undefined>> } & {
        [K in keyof T as undefined extends T[K] ? never : K]: Settings<T[K]>;
      } extends infer O
    ? { [K in keyof O]: O[K] }
    : never;

/** Everything but the webhook receiver's settings: what `charterflow avinode`, `doctor` and `trip` read. */
export type CommandConfig = Settings<z.output<typeof CommandSettings>>;
/** The whole configuration, as loadConfig returns it: derived from the schema, never written out. */
export type Config = CommandConfig & { webhooks: WebhookConfig };
/** How `charterflow codec` authenticates callers: the UI's bearer token, or (published on loopback only) nobody. */
export type CodecAuth = NonNullable<Config['codecServer']['auth']>;
/** API key and TLS for a remote Temporal; files are read when connecting (platform/temporal-connection.ts). */
export type TemporalConnectionConfig = NonNullable<Config['temporal']['connection']>;
/** TEMPORAL_WORKER_DEPLOYMENT / TEMPORAL_WORKER_BUILD_ID: the version a worker polls as. */
export type WorkerDeploymentConfig = NonNullable<Config['temporal']['workerDeployment']>;

function codecAuthOf(e: z.infer<typeof CoreEnv>, problems: Problem[]) {
  const bearer =
    e.CODEC_AUTH_ISSUER !== undefined || e.CODEC_AUTH_JWKS_URL !== undefined || e.CODEC_AUTH_AUDIENCE !== undefined;
  if (e.CODEC_AUTH === 'none') {
    if (bearer)
      problems.push({
        path: 'CODEC_AUTH',
        message: 'is none, yet CODEC_AUTH_ISSUER/_JWKS_URL/_AUDIENCE are set; remove one or the other',
      });
    return { kind: 'none' as const };
  }
  if (!bearer && e.CODEC_AUTH !== 'bearer') return undefined;
  if (!e.CODEC_AUTH_ISSUER)
    problems.push({
      path: 'CODEC_AUTH_ISSUER',
      message: 'required for the codec bearer check (the issuer of the Temporal UI login tokens)',
      code: 'required',
    });
  if (!e.CODEC_AUTH_JWKS_URL)
    problems.push({
      path: 'CODEC_AUTH_JWKS_URL',
      message: 'required for the codec bearer check (the JWKS of that issuer)',
      code: 'required',
    });
  requireHttps('CODEC_AUTH_JWKS_URL', e.CODEC_AUTH_JWKS_URL, problems);
  if (!e.CODEC_AUTH_ISSUER || !e.CODEC_AUTH_JWKS_URL) return undefined;
  return {
    kind: 'bearer' as const,
    issuer: e.CODEC_AUTH_ISSUER,
    jwksUrl: e.CODEC_AUTH_JWKS_URL,
    ...(e.CODEC_AUTH_AUDIENCE ? { audience: e.CODEC_AUTH_AUDIENCE } : {}),
  };
}

/** A TLS file given by path (read when connecting) or inline (PEM text), with the variable that gave it. */
export type TlsSource = { variable: string } & ({ path: string } | { data: string });

/** Each TLS file under its envconfig names (path, inline data) and the earlier charterflow path name. */
const TLS_FILES = {
  clientCert: ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_CERT_DATA', 'TEMPORAL_TLS_CERT_PATH'],
  clientKey: ['TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_KEY_DATA', 'TEMPORAL_TLS_KEY_PATH'],
  serverCACert: ['TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_DATA', 'TEMPORAL_TLS_CA_PATH'],
} as const;

function tlsSourceOf(
  e: z.infer<typeof CoreEnv>,
  names: readonly (keyof z.infer<typeof CoreEnv>)[],
  problems: Problem[],
): TlsSource | undefined {
  const given = names.filter((name) => e[name] !== undefined);
  if (given.length > 1) problems.push({ path: given.join(' and '), message: 'name the same file; set one of them' });
  const variable = given[0];
  if (!variable) return undefined;
  const value = String(e[variable]);
  return variable.endsWith('_DATA') ? { variable, data: value } : { variable, path: value };
}

/**
 * How to reach a remote Temporal (a cluster, Temporal Cloud): API key and TLS, as Temporal's
 * environment configuration has them. TLS is on with any TLS setting, and with an API key unless
 * TEMPORAL_TLS=false (a key travels in a header).
 */
function temporalConnectionOf(e: z.infer<typeof CoreEnv>, problems: Problem[]) {
  const clientCert = tlsSourceOf(e, TLS_FILES.clientCert, problems);
  const clientKey = tlsSourceOf(e, TLS_FILES.clientKey, problems);
  const serverCACert = tlsSourceOf(e, TLS_FILES.serverCACert, problems);
  const anyTlsSetting = Boolean(clientCert || clientKey || serverCACert) || e.TEMPORAL_TLS_SERVER_NAME !== undefined;
  const anySetting = anyTlsSetting || e.TEMPORAL_API_KEY !== undefined || e.TEMPORAL_TLS !== undefined;
  if (!anySetting) return undefined;
  if (!e.TEMPORAL_ADDRESS)
    problems.push({
      path: 'TEMPORAL_ADDRESS',
      message:
        'required with TEMPORAL_API_KEY or TEMPORAL_TLS* (they describe a remote Temporal; the embedded dev server takes neither)',
      code: 'required',
    });
  if (Boolean(clientCert) !== Boolean(clientKey)) {
    const cert = clientCert?.variable ?? 'TEMPORAL_TLS_CLIENT_CERT_PATH';
    const key = clientKey?.variable ?? 'TEMPORAL_TLS_CLIENT_KEY_PATH';
    problems.push({
      path: `${cert} and ${key}`,
      message: 'set both (the client certificate and its private key) or neither',
    });
  }
  if (e.TEMPORAL_TLS === 'false' && anyTlsSetting)
    problems.push({
      path: 'TEMPORAL_TLS',
      message: 'is false, yet TEMPORAL_TLS_* settings are given; remove one or the other',
    });
  const tls =
    e.TEMPORAL_TLS === 'true' || anyTlsSetting || (e.TEMPORAL_API_KEY !== undefined && e.TEMPORAL_TLS !== 'false');
  return {
    ...(e.TEMPORAL_API_KEY ? { apiKey: e.TEMPORAL_API_KEY } : {}),
    ...(tls
      ? {
          tls: {
            ...(clientCert && clientKey ? { clientCert, clientKey } : {}),
            ...(serverCACert ? { serverCACert } : {}),
            ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverName: e.TEMPORAL_TLS_SERVER_NAME } : {}),
          },
        }
      : {}),
  };
}

/** The variables a profile of a Temporal configuration file can fill in, with the profile field each comes from. */
function profileVariables(profile: ClientConfigProfile): Record<string, string | undefined> {
  const tls = profile.tls;
  const source = (prefix: string, data: ConfigDataSource | undefined) =>
    !data
      ? {}
      : 'path' in data
        ? { [`${prefix}_PATH`]: data.path }
        : { [`${prefix}_DATA`]: typeof data.data === 'string' ? data.data : Buffer.from(data.data).toString('utf8') };
  return {
    TEMPORAL_ADDRESS: profile.address,
    TEMPORAL_NAMESPACE: profile.namespace,
    TEMPORAL_API_KEY: profile.apiKey,
    TEMPORAL_TLS: tls === undefined ? undefined : String(tls.disabled !== true),
    TEMPORAL_TLS_SERVER_NAME: tls?.serverName,
    ...source('TEMPORAL_TLS_CLIENT_CERT', tls?.clientCert),
    ...source('TEMPORAL_TLS_CLIENT_KEY', tls?.clientKey),
    ...source('TEMPORAL_TLS_SERVER_CA_CERT', tls?.serverCACert),
  };
}

const isSet = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/**
 * Temporal's environment configuration (@temporalio/envconfig, the Temporal CLI's `temporal config`):
 * with TEMPORAL_CONFIG_FILE or TEMPORAL_PROFILE set, a profile of that TOML file (default: the SDK's
 * `temporalio/temporal.toml` in the user's config directory; profile `default`) fills in the TEMPORAL_*
 * variables the environment leaves unset, the environment winning as in the SDK. Opt-in: with neither
 * set no file is read, so an unset TEMPORAL_ADDRESS keeps meaning the embedded dev server.
 */
function withTemporalProfile(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const file = env.TEMPORAL_CONFIG_FILE?.trim();
  const name = env.TEMPORAL_PROFILE?.trim();
  if (!file && !name) return env;
  let profile: ClientConfigProfile;
  try {
    const strings = Object.fromEntries(
      Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    profile = loadClientConfigProfile({
      ...(file ? { configSource: { data: readFileSync(file, 'utf8') } } : {}),
      ...(name ? { profile: name } : {}),
      configFileStrict: true,
      disableEnv: true,
      overrideEnvVars: strings,
    });
  } catch (error) {
    throw new ConfigError([profileProblem(error, file, name)]);
  }
  if (profile.grpcMeta && Object.keys(profile.grpcMeta).length > 0) {
    throw new ConfigError([
      {
        path: 'TEMPORAL_PROFILE',
        message: `profile "${name ?? 'default'}" sets grpc_meta, which charterflow does not send; remove it`,
      },
    ]);
  }
  // A TLS file the environment names (under any of its names) replaces the profile's.
  const fromProfile = profileVariables(profile);
  for (const names of Object.values(TLS_FILES)) {
    if (names.some((variable) => isSet(env[variable]))) for (const variable of names) delete fromProfile[variable];
  }
  const merged: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(fromProfile).filter(([, value]) => value !== undefined),
  );
  for (const [variable, value] of Object.entries(env)) if (isSet(value)) merged[variable] = value;
  return merged;
}

/** Names the file and profile, never the file's contents (a TOML parse error quotes the line, maybe an API key). */
function profileProblem(error: unknown, file: string | undefined, name: string | undefined): Problem {
  const where = file ?? "the user's temporalio/temporal.toml";
  const code = (error as NodeJS.ErrnoException).code;
  if (code) return { path: 'TEMPORAL_CONFIG_FILE', message: `cannot read ${where} (${code})` };
  const message = error instanceof Error ? error.message : '';
  if (/^Profile '.*' not found/.test(message))
    return { path: 'TEMPORAL_PROFILE', message: `no profile "${name}" in ${where}` };
  if (message.startsWith('Validation error: '))
    return { path: 'TEMPORAL_CONFIG_FILE', message: `${where}: ${message.slice('Validation error: '.length)}` };
  return { path: 'TEMPORAL_CONFIG_FILE', message: `${where} is not a valid Temporal configuration file (TOML)` };
}

/** Both or neither: a versioned worker must say which build it is, and a build id alone names no deployment. */
function workerDeploymentOf(
  e: Pick<Env, 'TEMPORAL_WORKER_DEPLOYMENT' | 'TEMPORAL_WORKER_BUILD_ID' | 'CHARTERFLOW_BUILD_ID'>,
  problems: Problem[],
) {
  const deploymentName = e.TEMPORAL_WORKER_DEPLOYMENT;
  const buildId = e.TEMPORAL_WORKER_BUILD_ID ?? e.CHARTERFLOW_BUILD_ID;
  if (deploymentName && !buildId)
    problems.push({
      path: 'TEMPORAL_WORKER_BUILD_ID',
      message:
        'required when TEMPORAL_WORKER_DEPLOYMENT is set (the id of this build, e.g. the git commit or image tag)',
      code: 'required',
    });
  if (e.TEMPORAL_WORKER_BUILD_ID && !deploymentName)
    problems.push({
      path: 'TEMPORAL_WORKER_DEPLOYMENT',
      message:
        'required when TEMPORAL_WORKER_BUILD_ID is set (the worker deployment the build belongs to, e.g. charterflow)',
      code: 'required',
    });
  return deploymentName && buildId ? { deploymentName, buildId } : undefined;
}

/** `host:port`, with an IPv6 host in brackets. */
function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The Avinode task queue's `maxTaskQueueActivitiesPerSecond`: the fleet's Avinode budget less what
 * the webhook receivers keep for their own reads. The server enforces it across all workers.
 */
export function avinodeActivityRateLimit(
  avinode: Pick<Config['avinode'], 'rateLimitPerSecond' | 'receiverReadsPerSecond'>,
): number {
  return avinode.rateLimitPerSecond - avinode.receiverReadsPerSecond;
}

/** The token endpoint: explicit, or `<base>/oauth/token` as documented. */
export function avinodeTokenUrl(avinode: Pick<Config['avinode'], 'tokenUrl' | 'baseUrl'>): string | undefined {
  return avinode.tokenUrl ?? (avinode.baseUrl ? `${avinode.baseUrl}/oauth/token` : undefined);
}
