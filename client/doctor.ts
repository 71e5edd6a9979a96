// `charterflow doctor`: checks configuration and credentials and explains each failure in plain
// words. Never prints a secret, a token or an assertion; a static token is decoded, not shown.
import { parseArgs } from 'node:util';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { request } from 'undici';
import {
  avinodeActivityRateLimit,
  ConfigError,
  CLIENT_AUTH_METHODS,
  loadCommandConfig,
  webhookConfigOf,
  type ClientAuthMethod,
  type CommandConfig,
  type Config,
} from '../platform/config.ts';
import { createLogger } from '../platform/logging.ts';
import { FailureType, WEBHOOK_EVENT_TYPES } from '../workflows/contract.ts';
import { problemText, type Problem } from '../workflows/failures.ts';
import type { WebhookSetting } from '../activities/avinode/schemas.ts';
import { evaluatedMethodOf } from '../activities/auth/token-endpoint.ts';
import { compareSettingIds, webhookTargetUri } from '../workers/webhook-subscriptions.ts';
import {
  createClientFor,
  createTokenSourceFor,
  describeFailure,
  resolveTarget,
  UsageError,
  type AvinodeTarget,
  type CliIo,
} from './avinode-cli.ts';

type Status = 'ok' | 'warn' | 'fail';
const MARK: Record<Status, string> = { ok: '✓', warn: '!', fail: '✗' };

export const DOCTOR_USAGE = `Usage: charterflow doctor [--base-url URL]

Checks the Avinode configuration (AVINODE_* variables), requests a token, makes one harmless API
call (GET /webhooks/settings), lists the webhook subscriptions it finds (id, event types, target,
active) and says which charterflow needs are missing, and explains each failure. Exit code 0 when
nothing failed.`;

const SKEW_WARN_MS = 30_000;
/** The emulator's default and the buyer integration's (uncited) note: ±5 min. */
const SKEW_FAIL_MS = 5 * 60_000;

export function insideWeeklyResetWindow(now: Date): boolean {
  return now.getUTCDay() === 1 && now.getUTCHours() >= 6 && now.getUTCHours() < 8;
}

/** Facts of a token-endpoint rejection, read from whatever typed error the token layer throws. */
export interface TokenRejection {
  status?: number;
  error?: string;
  codes: string[];
}

export function tokenRejectionOf(error: unknown): TokenRejection | undefined {
  const candidates: unknown[] = [];
  for (let current: unknown = error, depth = 0; current && depth < 3; depth++) {
    const details = (current as { details?: unknown }).details;
    if (Array.isArray(details)) candidates.push(...details);
    else if (details) candidates.push(details);
    candidates.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  for (const candidate of candidates) {
    if (!candidate || typeof candidate !== 'object') continue;
    const record = candidate as Record<string, unknown>;
    const oauthError = typeof record.error === 'string' ? record.error : undefined;
    if (!oauthError) continue;
    const raw = record.errorDetails ?? record.codes;
    const codes = Array.isArray(raw)
      ? raw
          .map((item) => (typeof item === 'string' ? item : (item as { code?: unknown })?.code))
          .filter((code): code is string => typeof code === 'string')
      : [];
    return { ...(typeof record.status === 'number' ? { status: record.status } : {}), error: oauthError, codes };
  }
  const message = error instanceof Error ? error.message : '';
  const named = /\b(invalid_client|unauthorized_client|invalid_request|invalid_scope|unsupported_grant_type)\b/.exec(
    message,
  )?.[1];
  if (!named) return undefined;
  return { error: named, codes: [...message.matchAll(/\binvalid_client_secret_(basic|post|jwt)\b/g)].map((m) => m[0]) };
}

/** The method the server evaluated the request as, from an `invalid_client_secret_post`-style code (the token layer's reading). */
export function methodTriedByServer(codes: readonly string[]): ClientAuthMethod | undefined {
  const method = evaluatedMethodOf({ errorDetails: [...codes] });
  return CLIENT_AUTH_METHODS.find((known) => known === method);
}

export function describeStaticToken(token: string): string {
  try {
    const header = decodeProtectedHeader(token);
    const claims = decodeJwt(token);
    const parts = [`JWT ${header.alg ?? '?'}${header.kid ? ' with kid' : ''}`];
    if (claims.iss) parts.push(`iss ${claims.iss}`);
    if (claims.avitype !== undefined) {
      const label =
        claims.avitype === 16
          ? ' (labelled "interactive" by one integration)'
          : claims.avitype === 15
            ? ' (labelled "REST" by one integration)'
            : '';
      parts.push(`avitype ${String(claims.avitype)}${label}`);
    }
    if (claims.avitenant !== undefined) parts.push(`tenant (avitenant) ${String(claims.avitenant)}`);
    if (typeof claims.sub === 'string') parts.push(`sub ${claims.sub.slice(0, 4)}…`);
    parts.push(
      claims.exp
        ? `expires ${new Date(claims.exp * 1000).toISOString()}`
        : 'no exp claim (static credential; the portal shows its expiry)',
    );
    return parts.join(', ');
  } catch {
    return `not a JWT: an opaque token of ${token.length} characters`;
  }
}

interface Report {
  line(status: Status, title: string, ...explanation: string[]): void;
  failed: boolean;
}

function reporter(write: (text: string) => void): Report {
  const report: Report = {
    failed: false,
    line(status, title, ...explanation) {
      if (status === 'fail') report.failed = true;
      write(`${MARK[status]} ${title}\n${explanation.map((text) => `    ${text}\n`).join('')}`);
    },
  };
  return report;
}

const IDLE_HINT =
  'Avinode deactivates an API connection after 60 days without use; if this connection was idle, ask Avinode support to reactivate it.';
const RESET_HINT =
  'The sandbox is rebuilt weekly (usually Mondays 06:00–08:00 UTC) and regenerates the API token, auth token and OAuth secret: after a rebuild, copy new credentials from Company → APIs.';

export async function runDoctorCommand(argv: string[], io: CliIo = {}): Promise<number> {
  const out = io.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = io.stderr ?? ((text: string) => void process.stderr.write(text));
  let values: { 'base-url'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { 'base-url': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    err(`charterflow doctor: ${(error as Error).message}\n\n${DOCTOR_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    out(`${DOCTOR_USAGE}\n`);
    return 0;
  }
  const env = io.env ?? process.env;
  const report = reporter(out);
  const now = new Date();

  let config: Readonly<CommandConfig>;
  try {
    // Webhook settings are checked below as one finding: they do not stop the credential checks.
    config = loadCommandConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    report.line('fail', 'configuration is invalid', ...error.problems.map(explainConfigProblem));
    checkWebhookSettings(report, env);
    out('\nSome checks failed; see the explanations above.\n');
    return 1;
  }

  let target: AvinodeTarget;
  try {
    target = resolveTarget(config, values['base-url']);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    report.line('fail', 'no Avinode API to check', ...error.message.split('\n'));
    return 1;
  }

  checkConfiguration(report, env, target);
  checkWebhookSettings(report, env);
  describeOperations(report, config);
  if (insideWeeklyResetWindow(now)) {
    report.line(
      'warn',
      'inside the weekly sandbox reset window (Mondays 06:00–08:00 UTC)',
      'NOT_FOUND for old trips, 5xx and rejected credentials are expected until the rebuild ends.',
      RESET_HINT,
    );
  } else {
    report.line('ok', 'outside the weekly sandbox reset window (Mondays 06:00–08:00 UTC)');
  }
  await checkClock(report, target);

  const logger = io.logger ?? createLogger({ level: 'silent', name: 'charterflow-doctor' });
  const tokenSource = await createTokenSourceFor(target, logger, io.createTokenSource);
  const tokenOk = await checkToken(report, target, tokenSource, io);
  if (tokenOk) await checkApiCall(report, target, tokenSource, logger, webhookConfigOf(env).webhooks);

  out(report.failed ? '\nSome checks failed; see the explanations above.\n' : '\nAll checks passed.\n');
  return report.failed ? 1 : 0;
}

/** One line per webhook setting, by id: `whs-12: TripRequestMine → https://… (active)`. */
function listSettings(settings: readonly WebhookSetting[]): string[] {
  return [...settings]
    .sort((a, b) => compareSettingIds(a.id, b.id))
    .map((setting) => {
      const events = setting.eventTypes?.length ? setting.eventTypes.join(', ') : 'no event types';
      return `${setting.id}: ${events} → ${setting.targetURI ?? '(no target)'} (${setting.active === false ? 'inactive' : 'active'})`;
    });
}

/** One line per webhook setting found, then whether each event type charterflow needs has an active one at our target. */
export function describeSubscriptions(
  settings: readonly WebhookSetting[],
  config: Pick<Config, 'webhooks'>,
): { found: string[]; missing: string[] } {
  const found = listSettings(settings);
  const missing = WEBHOOK_EVENT_TYPES.filter((eventType) => {
    const targetURI = webhookTargetUri(config, eventType);
    return !settings.some(
      (setting) =>
        setting.targetURI === targetURI && setting.active !== false && setting.eventTypes?.includes(eventType),
    );
  }).map((eventType) => `${eventType} → ${webhookTargetUri(config, eventType)}`);
  return { found, missing };
}

function reportSubscriptions(
  report: Report,
  settings: readonly WebhookSetting[],
  webhooks: Config['webhooks'] | undefined,
): void {
  if (!webhooks) {
    const found = listSettings(settings);
    report.line(
      'warn',
      'webhook subscriptions found (which are charterflow’s is unknown until the webhook receiver settings are complete)',
      ...(found.length > 0 ? found : ['(none)']),
    );
    return;
  }
  const { found, missing } = describeSubscriptions(settings, { webhooks });
  const listed = found.length > 0 ? found : ['(none)'];
  if (missing.length === 0) {
    report.line('ok', 'webhook subscriptions: every event type charterflow needs is active', ...listed);
    return;
  }
  report.line(
    'warn',
    `webhook subscriptions: ${missing.length} of ${WEBHOOK_EVENT_TYPES.length} event types have no active subscription at this machine's target`,
    ...listed,
    ...missing.map((line) => `missing: ${line}`),
    'A running worker re-creates them at start, every WEBHOOK_SUBSCRIPTION_CHECK_MS (default 10 min) and after it sees the weekly wipe; until then quotes arrive by polling only. Check WEBHOOK_PUBLIC_URL if the targets look wrong.',
  );
}

function explainConfigProblem(problem: Problem): string {
  const text = problemText(problem);
  if (problem.path === 'AVINODE_CLIENT_SECRET' && problem.code === 'required') {
    return `${text} — the client secret is unset or empty (an empty value counts as unset; check that the variable is exported and not an empty expansion).`;
  }
  if (problem.path === 'AVINODE_CLIENT_AUTH_METHOD')
    return `${text} — use the method chosen when the secret was created in Company → APIs → OAuth.`;
  if (problem.code === 'insecure_url')
    return `${text} — Avinode is HTTPS-only; plain HTTP is accepted only towards this machine (the emulator).`;
  return text;
}

function checkConfiguration(report: Report, env: NodeJS.ProcessEnv, target: AvinodeTarget): void {
  const url = new URL(target.baseUrl);
  const lines = [
    `base URL ${target.baseUrl}${target.embedded ? ' (given with --base-url; AVINODE_BASE_URL is unset, local emulator credentials apply)' : ''}`,
  ];
  if (url.protocol === 'http:')
    lines.push(
      'plain HTTP: accepted only because the host is this machine (the emulator); Avinode itself is HTTPS-only.',
    );
  if (target.auth === 'static') {
    lines.push('authentication: static bearer token (AVINODE_AUTH=static)');
  } else {
    lines.push(
      `authentication: OAuth client credentials, method ${target.clientAuthMethod}, client id ${target.clientId ?? '(unset)'}`,
    );
  }
  report.line('ok', 'configuration loaded', ...lines);

  for (const name of [
    'AVINODE_CLIENT_SECRET',
    'AVINODE_API_TOKEN',
    'AVINODE_BEARER_TOKEN',
    'AVINODE_CLIENT_ID',
  ] as const) {
    const raw = env[name];
    if (raw === undefined) continue;
    if (raw.trim() === '') {
      report.line(
        'warn',
        `${name} is set but empty`,
        'An empty value counts as unset (a shell variable that expanded to nothing?).',
      );
    } else if (raw !== raw.trim()) {
      report.line(
        'fail',
        `${name} has leading or trailing whitespace`,
        'It is sent as is and will not match; remove the spaces or newline around the value.',
      );
    }
  }
  if (target.auth === 'static') {
    if (target.bearerToken)
      report.line('ok', 'static token decoded (not verified)', describeStaticToken(target.bearerToken));
    else report.line('warn', 'static mode without AVINODE_BEARER_TOKEN', 'Only the local emulator accepts that.');
  }
}

/** The receiver's settings: needed by `charterflow worker` and `charterflow webhooks`, not by this check. */
function checkWebhookSettings(report: Report, env: NodeJS.ProcessEnv): void {
  const { webhooks, problems } = webhookConfigOf(env);
  if (!webhooks) {
    report.line(
      'warn',
      'webhook receiver settings incomplete',
      ...problems.map(problemText),
      '`charterflow worker` and `charterflow webhooks` refuse to start until this is fixed; `charterflow avinode`, `trip` and this check do not need it.',
    );
    return;
  }
  const target =
    webhooks.publicUrl ??
    `http://127.0.0.1:${webhooks.port} (WEBHOOK_PUBLIC_URL unset: Avinode cannot reach a loopback receiver)`;
  report.line('ok', `webhook receiver settings present: Basic user ${webhooks.username}, target ${target}`);
}

/** What a worker started with this configuration does beyond Avinode: payload encryption, metrics. */
function describeOperations(report: Report, config: Readonly<CommandConfig>): void {
  const encryption = config.payloadEncryption;
  const decryptOnly = encryption?.previous.map((key) => key.keyId) ?? [];
  if (encryption?.current) {
    report.line(
      'ok',
      `payload encryption on: AES-256-GCM, key id ${encryption.current.keyId}${decryptOnly.length ? `; decrypt-only key ids ${decryptOnly.join(', ')}` : ''}`,
    );
  } else if (decryptOnly.length) {
    report.line(
      'warn',
      `payload encryption decrypt-only (key ids ${decryptOnly.join(', ')})`,
      'New payloads, passenger notes included, are stored in plain; set PAYLOAD_ENCRYPTION_KEY and PAYLOAD_ENCRYPTION_KEY_ID to encrypt them.',
    );
  } else {
    report.line(
      'ok',
      'payload encryption off',
      'Trip requests (passenger notes, contact data) are stored in plain in Temporal; set PAYLOAD_ENCRYPTION_KEY and PAYLOAD_ENCRYPTION_KEY_ID to encrypt them.',
    );
  }
  report.line(
    'ok',
    config.metrics
      ? `worker metrics on http://${config.metrics.bindAddress}/metrics`
      : 'worker metrics off (METRICS_PORT=0)',
  );
  const { worker, avinode, temporal, trips } = config;
  const receivers =
    avinode.receiverReadsPerSecond > 0 ? `, webhook receivers keep ${avinode.receiverReadsPerSecond}/s` : '';
  report.line(
    'ok',
    `worker: Avinode calls on ${temporal.avinodeTaskQueue} at ${avinodeActivityRateLimit(avinode)}/s (fleet-wide cap ${avinode.rateLimitPerSecond}/s${receivers}); sticky cache ${worker.maxCachedWorkflows} trips, ${worker.maxConcurrentWorkflowTasks} workflow tasks, ${worker.maxConcurrentActivities} activities per queue; trips continue as new after ${trips.continueAsNewAfterEvents || 'the server-suggested'} events`,
  );
}

async function checkClock(report: Report, target: AvinodeTarget): Promise<void> {
  try {
    // Credential-free: only the server's Date header is wanted.
    const started = Date.now();
    const response = await request(target.baseUrl, { method: 'HEAD', headersTimeout: 10_000, bodyTimeout: 10_000 });
    await response.body.dump();
    const dateHeader = response.headers.date;
    const serverDate = Date.parse(Array.isArray(dateHeader) ? dateHeader[0]! : (dateHeader ?? ''));
    if (Number.isNaN(serverDate)) {
      report.line('warn', 'clock skew unknown', 'The server sent no Date header.');
      return;
    }
    // Date has 1 s resolution: the server's clock was somewhere in [date, date + 1 s).
    const local = (started + Date.now()) / 2;
    const skewMs = serverDate + 500 - local;
    const seconds = Math.round(Math.abs(skewMs) / 1000);
    const text =
      seconds === 0
        ? 'this machine is within 1 s of the server (Date header)'
        : `this machine is ${seconds} s ${skewMs > 0 ? 'behind' : 'ahead of'} the server (Date header, 1 s resolution)`;
    if (Math.abs(skewMs) > SKEW_FAIL_MS) {
      report.line(
        'fail',
        'clock skew too large',
        text,
        'X-Avinode-SentTimestamp and client_secret_jwt assertions are checked against the server clock; sync this machine with NTP.',
      );
    } else if (Math.abs(skewMs) > SKEW_WARN_MS) {
      report.line(
        'warn',
        'clock skew noticeable',
        text,
        'Sync this machine with NTP before it grows past the accepted window.',
      );
    } else {
      report.line('ok', 'clock in sync with the server', text);
    }
  } catch (error) {
    report.line(
      'fail',
      `cannot reach ${new URL(target.baseUrl).origin}`,
      describeFailure(error),
      'Check the base URL, DNS, proxies and that the server is running.',
    );
  }
}

async function checkToken(
  report: Report,
  target: AvinodeTarget,
  tokenSource: Awaited<ReturnType<typeof createTokenSourceFor>>,
  io: CliIo,
): Promise<boolean> {
  try {
    const token = await tokenSource.getToken();
    const lifetime = token.expiresInSeconds === undefined ? 'no expiry given' : `valid for ${token.expiresInSeconds} s`;
    report.line('ok', `token obtained (${token.tokenType ?? 'Bearer'}, ${lifetime})`);
    return true;
  } catch (error) {
    const rejection = tokenRejectionOf(error);
    if (target.auth === 'oauth' && rejection?.error === 'invalid_client') {
      await explainInvalidClient(report, target, rejection, io);
    } else if (rejection?.error === 'unauthorized_client') {
      report.line(
        'fail',
        'token request rejected: unauthorized_client',
        'OAuth is not enabled for this company, or the client may not use client_credentials: this needs Avinode support.',
      );
    } else if ((error as { type?: string }).type === FailureType.RateLimited) {
      report.line(
        'fail',
        'token endpoint is rate limiting (429)',
        describeFailure(error),
        'Wait for the Retry-After period; running workers keep using their cached tokens.',
      );
    } else {
      report.line('fail', 'token request failed', describeFailure(error));
    }
    return false;
  }
}

async function explainInvalidClient(
  report: Report,
  target: AvinodeTarget,
  rejection: TokenRejection,
  io: CliIo,
): Promise<void> {
  const configured = target.clientAuthMethod;
  const tried = methodTriedByServer(rejection.codes);
  const codes = rejection.codes.length > 0 ? rejection.codes.join(', ') : 'none';
  const lines = [`configured method: ${configured} (AVINODE_CLIENT_AUTH_METHOD); errorDetails codes: ${codes}`];
  if (tried && tried !== configured) {
    lines.push(
      `The server evaluated the request as ${tried}, not ${configured}: the request carried credentials in the wrong place.`,
    );
  }
  // Name the method the secret was created for by trying the other two (doctor only, ≤ 2 requests).
  let works: ClientAuthMethod | undefined;
  for (const method of CLIENT_AUTH_METHODS) {
    if (method === configured) continue;
    try {
      const probe = await createTokenSourceFor(
        { ...target, clientAuthMethod: method },
        undefined,
        io.createTokenSource,
      );
      await probe.getToken();
      works = method;
      break;
    } catch {
      // keep probing
    }
  }
  if (works) {
    report.line(
      'fail',
      `client auth method mismatch: configured ${configured}, but the secret works with ${works}`,
      ...lines,
      `The method is fixed when the secret is created in Avinode. Set AVINODE_CLIENT_AUTH_METHOD=${works}.`,
    );
    return;
  }
  report.line(
    'fail',
    'token request rejected: invalid_client',
    ...lines,
    'No other client auth method works with this secret either, so the client id or secret is wrong, expired or revoked.',
    RESET_HINT,
    IDLE_HINT,
  );
}

async function checkApiCall(
  report: Report,
  target: AvinodeTarget,
  tokenSource: Awaited<ReturnType<typeof createTokenSourceFor>>,
  logger: NonNullable<CliIo['logger']>,
  /** The receiver's settings (our targets), when complete. */
  webhooks: Config['webhooks'] | undefined,
): Promise<void> {
  const client = createClientFor(target, tokenSource, logger);
  try {
    const settings = await client.listWebhookSettings();
    report.line(
      'ok',
      `API call GET /webhooks/settings succeeded (${settings.length} webhook setting${settings.length === 1 ? '' : 's'})`,
    );
    reportSubscriptions(report, settings, webhooks);
  } catch (error) {
    const type = (error as { type?: string }).type;
    const text = describeFailure(error);
    if (type === FailureType.AuthRejected) {
      report.line(
        'fail',
        'the API rejected a freshly issued token',
        text,
        'Check that AVINODE_API_TOKEN belongs to the same API connection as the client id (ERR_INPUT_GENERIC_INVALID names the header).',
        target.auth === 'static'
          ? 'A static token of the wrong kind (avitype) is rejected the same way; generate a new one in Company → APIs.'
          : RESET_HINT,
        IDLE_HINT,
      );
    } else if (type === FailureType.Forbidden) {
      report.line(
        'fail',
        'authenticated, but the connection lacks permission',
        text,
        'The API connection’s permission set does not include webhook settings; after a sandbox rebuild "Company APIs" may be "View Only". Ask Avinode support.',
      );
    } else if (type === FailureType.NotFound) {
      report.line(
        'fail',
        'the API path was not found',
        text,
        'The base URL should end in /api, e.g. https://sandbox.avinode.com/api.',
      );
    } else if (type === FailureType.RequestInvalid) {
      report.line(
        'fail',
        'the API refused the request',
        text,
        'ERR_INPUT_MISSING usually names a missing X-Avinode-* header; a clock outside the accepted skew is refused too.',
      );
    } else {
      report.line(
        'fail',
        'API call failed',
        text,
        insideWeeklyResetWindow(new Date())
          ? 'Inside the weekly reset window, outages are expected.'
          : 'Retry later; if it persists, check the Avinode status with support.',
      );
    }
  } finally {
    await client.close();
  }
}
