// Fault rules: per route template or global, by probability and/or for the next N matching calls.
import { fail, internalCritical, isRecord, oauthError, type Reply } from './http-kit.ts';
import type { SeededRandom } from './rng.ts';

export const FAULT_KINDS = [
  'latency',
  '500',
  '503',
  'internal_critical',
  '429',
  'revoke_tokens',
  'drop_webhooks',
  'duplicate_webhooks',
  // Beyond the core list: a 403, a "soft error" (200 whose meta.errors is non-empty), tokens
  // issued with a shorter lifetime than asked for (expires_in tells the truth), and webhook
  // deliveries held back by latencyMs (so later events overtake them: out-of-order delivery).
  '403',
  'soft_error',
  'short_tokens',
  'delay_webhooks',
  // The call is handled (a POST stores its resource) and only then is the answer held back by
  // latencyMs: the ambiguous outcome a client sees when it dies or times out mid-call.
  'delay_response',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  /** A route template such as `POST /api/trips` or `GET /api/rfqs/:id`, a webhook event type, or `*` (default). */
  route?: string;
  kind: FaultKind;
  /** 0..1, default 1. */
  probability?: number;
  /** Fire on the next N matching calls only, then the rule is removed. */
  times?: number;
  latencyMs?: number;
  retryAfterSeconds?: number;
  /** short_tokens: lifetime of tokens issued while the rule fires (default 5 s). */
  tokenLifetimeSeconds?: number;
}

const WEBHOOK_KINDS = new Set<FaultKind>(['drop_webhooks', 'duplicate_webhooks', 'delay_webhooks']);

/** Validates a rules array; returns a list of problems (empty when valid). */
export function parseFaultRules(input: unknown): { rules: FaultRule[]; problems: string[] } {
  const problems: string[] = [];
  const rules: FaultRule[] = [];
  if (!Array.isArray(input)) return { rules, problems: ['rules: must be an array'] };
  input.forEach((raw, i) => {
    if (!isRecord(raw)) {
      problems.push(`rules[${i}]: must be an object`);
      return;
    }
    const { route, kind, probability, times, latencyMs, retryAfterSeconds, tokenLifetimeSeconds } = raw;
    if (typeof kind !== 'string' || !(FAULT_KINDS as readonly string[]).includes(kind)) {
      problems.push(`rules[${i}].kind: must be one of ${FAULT_KINDS.join(', ')}`);
      return;
    }
    if (route !== undefined && (typeof route !== 'string' || route.trim() === ''))
      problems.push(`rules[${i}].route: must be a non-empty string`);
    if (probability !== undefined && (typeof probability !== 'number' || !(probability >= 0 && probability <= 1)))
      problems.push(`rules[${i}].probability: must be a number from 0 to 1`);
    if (times !== undefined && (!Number.isInteger(times) || (times as number) < 1))
      problems.push(`rules[${i}].times: must be a positive integer`);
    if (
      latencyMs !== undefined &&
      (!Number.isInteger(latencyMs) || (latencyMs as number) < 0 || (latencyMs as number) > 120_000)
    )
      problems.push(`rules[${i}].latencyMs: must be an integer from 0 to 120000`);
    if (retryAfterSeconds !== undefined && (!Number.isInteger(retryAfterSeconds) || (retryAfterSeconds as number) < 0))
      problems.push(`rules[${i}].retryAfterSeconds: must be a non-negative integer`);
    if (
      tokenLifetimeSeconds !== undefined &&
      (!Number.isInteger(tokenLifetimeSeconds) || (tokenLifetimeSeconds as number) < 1)
    )
      problems.push(`rules[${i}].tokenLifetimeSeconds: must be a positive integer`);
    if ((kind === 'latency' || kind === 'delay_webhooks' || kind === 'delay_response') && latencyMs === undefined)
      problems.push(`rules[${i}].latencyMs: required for kind ${kind}`);
    rules.push({
      kind: kind as FaultKind,
      ...(typeof route === 'string' ? { route: route.trim() } : {}),
      ...(typeof probability === 'number' ? { probability } : {}),
      ...(typeof times === 'number' ? { times } : {}),
      ...(typeof latencyMs === 'number' ? { latencyMs } : {}),
      ...(typeof retryAfterSeconds === 'number' ? { retryAfterSeconds } : {}),
      ...(typeof tokenLifetimeSeconds === 'number' ? { tokenLifetimeSeconds } : {}),
    });
  });
  return { rules, problems };
}

/**
 * CLI form of one rule: `kind[@route][,key=value…]`, e.g. `503@POST /api/trips,times=2`,
 * `429,probability=0.2,retryAfterSeconds=3`, `latency@*,latencyMs=300`.
 */
export function parseFaultFlag(spec: string): FaultRule {
  const [head = '', ...options] = spec.split(',');
  const at = head.indexOf('@');
  const raw: Record<string, unknown> = { kind: (at < 0 ? head : head.slice(0, at)).trim() };
  if (at >= 0) raw.route = head.slice(at + 1).trim();
  for (const option of options) {
    const [key, value] = option.split('=');
    if (!key || value === undefined) throw new Error(`--fault "${spec}": expected key=value, got "${option}"`);
    raw[key.trim()] = Number(value.trim());
  }
  const { rules, problems } = parseFaultRules([raw]);
  if (problems.length > 0) throw new Error(`--fault "${spec}": ${problems.join('; ')}`);
  return rules[0]!;
}

export interface FaultDecision {
  latencyMs: number;
  /** delay_response: handle the call first, then hold its answer this long (released early when the client goes away). */
  delayResponseMs: number;
  revokeTokens: boolean;
  /** soft_error: run the handler, then add an error to meta.errors of a 2xx envelope. */
  softError: boolean;
  /** short_tokens: cap the lifetime of a token issued by this request. */
  tokenLifetimeSeconds?: number;
  reply?: Reply;
  fired: FaultKind[];
}

export class FaultInjector {
  private rules: FaultRule[] = [];

  constructor(private readonly rng: SeededRandom) {}

  set(rules: FaultRule[]): void {
    this.rules = rules.map((rule) => ({ ...rule }));
  }

  list(): FaultRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  /** Decides the faults for one request to `route`; consumes `times` of the rules that fire. */
  forRequest(route: string, oauthStyle: boolean): FaultDecision {
    const decision: FaultDecision = {
      latencyMs: 0,
      delayResponseMs: 0,
      revokeTokens: false,
      softError: false,
      fired: [],
    };
    // Lazy: once one rule has decided the reply, further reply rules are neither evaluated nor consumed.
    const replyKind = (kind: FaultKind) =>
      !['latency', 'delay_response', 'revoke_tokens', 'soft_error', 'short_tokens'].includes(kind);
    const applies = (rule: FaultRule) =>
      !WEBHOOK_KINDS.has(rule.kind) &&
      ((rule.route ?? '*') === '*' || rule.route === route) &&
      !(replyKind(rule.kind) && decision.reply) &&
      !(rule.kind === 'short_tokens' && !oauthStyle) &&
      !(rule.kind === 'soft_error' && oauthStyle);
    for (const rule of this.firing(applies)) {
      decision.fired.push(rule.kind);
      if (rule.kind === 'latency') decision.latencyMs += rule.latencyMs ?? 0;
      else if (rule.kind === 'delay_response') decision.delayResponseMs += rule.latencyMs ?? 0;
      else if (rule.kind === 'revoke_tokens') decision.revokeTokens = true;
      else if (rule.kind === 'soft_error') decision.softError = true;
      else if (rule.kind === 'short_tokens') decision.tokenLifetimeSeconds = rule.tokenLifetimeSeconds ?? 5;
      else if (!decision.reply) decision.reply = faultReply(rule, oauthStyle);
    }
    return decision;
  }

  /** Webhook faults for one delivery of `eventType`. */
  forWebhook(eventType: string): { drop: boolean; duplicate: boolean; delayMs: number } {
    let drop = false;
    let duplicate = false;
    let delayMs = 0;
    for (const rule of this.firing(
      (rule) => WEBHOOK_KINDS.has(rule.kind) && ((rule.route ?? '*') === '*' || rule.route === eventType),
    )) {
      if (rule.kind === 'drop_webhooks') drop = true;
      else if (rule.kind === 'delay_webhooks') delayMs += rule.latencyMs ?? 0;
      else duplicate = true;
    }
    return { drop, duplicate, delayMs };
  }

  private *firing(matches: (rule: FaultRule) => boolean): Generator<FaultRule> {
    for (const rule of [...this.rules]) {
      if (!matches(rule)) continue;
      if (rule.probability !== undefined && this.rng.next() >= rule.probability) continue;
      if (rule.times !== undefined) {
        rule.times -= 1;
        if (rule.times <= 0) this.rules = this.rules.filter((other) => other !== rule);
      }
      yield rule;
    }
  }
}

function faultReply(rule: FaultRule, oauthStyle: boolean): Reply {
  const retryAfter = String(rule.retryAfterSeconds ?? 1);
  switch (rule.kind) {
    case '500':
      return oauthStyle
        ? oauthError(500, 'server_error', 'Injected server error')
        : fail(500, 'ERR_INTERNAL_SERVER_ERROR', 'Internal server error');
    case '503':
      return oauthStyle
        ? oauthError(503, 'temporarily_unavailable', 'Injected outage', undefined, { 'retry-after': retryAfter })
        : fail(503, 'SERVICE_UNAVAILABLE', 'Service temporarily unavailable', undefined, { 'retry-after': retryAfter });
    case '429':
      return oauthStyle
        ? {
            status: 429,
            headers: { 'retry-after': retryAfter, 'cache-control': 'no-store' },
            body: { error_description: 'Too many requests' },
          }
        : fail(429, 'TOO_MANY_REQUESTS', 'Too many requests', undefined, { 'retry-after': retryAfter });
    case '403':
      return oauthStyle
        ? oauthError(401, 'unauthorized_client', 'Injected: the client may not use this grant')
        : fail(403, 'AUTHORIZATION_PERMISSIONS', 'The API connection lacks permission for this operation');
    default:
      return internalCritical();
  }
}
