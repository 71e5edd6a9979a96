// The admin API under /_emulator (design.md §2): reset, the simulated actors, faults, journal,
// stats, token revocation, credential rotation, clock and autopilot control.
import { AIRCRAFT_CATEGORIES } from '../workflows/contract.ts';
import { AUTH_METHODS, type AuthMethod, type EmulatorCredentials } from './avinode-auth.ts';
import { parseFaultRules, type FaultRule } from './faults.ts';
import { fail, jsonObject, ok, type Reply, type Router } from './http-kit.ts';
import type { JournalEntry } from './journal.ts';
import { actor, isCancelReason, isDeclineReason, type AutopilotOptions, type RespondInput } from './marketplace.ts';
import type { EmulatorSettings } from './options.ts';

/** What the admin API needs from the running emulator. */
export interface AdminTarget {
  reset(options: { wipeCredentials: boolean }): { resetAt: string; credentials?: EmulatorCredentials };
  sendRfqs(atripId: string, operators: number, liftsPerRfq?: number): { rfqIds: string[]; liftIds: string[] };
  respond(arfqId: string, input: RespondInput): unknown;
  cancelRfq(arfqId: string, cancellation: { reason?: string; messageToSeller?: string }): unknown;
  faults: { set(rules: FaultRule[]): void; list(): FaultRule[] };
  reseed(seed: number): void;
  journal(filter: { route?: string; limit?: number; sinceSeq?: number }): JournalEntry[];
  clearJournal(): void;
  stats(): unknown;
  webhookDeliveries(): unknown;
  revokeTokens(token?: string): { revoked: number };
  credentials: EmulatorCredentials;
  updateCredentials(
    change: Partial<EmulatorCredentials> & { staticBearerToken?: string | undefined },
    options: { rotate: boolean; revokeTokens: boolean },
  ): EmulatorCredentials;
  clock(): { now: string; offsetMs: number; nextScheduledReset?: string };
  setClock(change: { advanceMs?: number; set?: number }): void;
  autopilot: AutopilotOptions;
  settings: EmulatorSettings;
}

const ON_OFF = ['on', 'off'] as const;

const bad = (path: string, title: string) => fail(400, 'ERR_INPUT_GENERIC_INVALID', title, path);

export function registerAdmin(router: Router, target: AdminTarget): void {
  router.add('POST', '/_emulator/reset', (ctx) => {
    const body = jsonObject(ctx, { optional: true });
    if (body.wipeCredentials !== undefined && typeof body.wipeCredentials !== 'boolean')
      return bad('wipeCredentials', 'wipeCredentials must be a boolean');
    return ok(target.reset({ wipeCredentials: body.wipeCredentials === true }));
  });

  router.add('POST', '/_emulator/trips/:id/send-rfqs', (ctx) => {
    const body = jsonObject(ctx, { optional: true });
    const operators = body.operators ?? 3;
    if (!Number.isInteger(operators) || (operators as number) < 1 || (operators as number) > 20)
      return bad('operators', 'operators must be an integer from 1 to 20');
    const liftsPerRfq = body.liftsPerRfq ?? 1;
    if (!Number.isInteger(liftsPerRfq) || (liftsPerRfq as number) < 0 || (liftsPerRfq as number) > 5)
      return bad('liftsPerRfq', 'liftsPerRfq must be an integer from 0 to 5');
    return actor(() => ok(target.sendRfqs(ctx.params.id!, operators as number, liftsPerRfq as number)));
  });

  // The broker cancels one RFQ in the web UI.
  router.add('POST', '/_emulator/rfqs/:id/cancel', (ctx) => {
    const body = jsonObject(ctx, { optional: true });
    if (body.reason !== undefined && !isCancelReason(body.reason))
      return bad('reason', 'reason must be one of BY_CLIENT, CHANGED, BOOKED, OTHER');
    if (body.message !== undefined && (typeof body.message !== 'string' || body.message.length > 4000))
      return bad('message', 'message must be a string of at most 4000 characters');
    return actor(() =>
      ok(
        target.cancelRfq(ctx.params.id!, {
          ...(typeof body.reason === 'string' ? { reason: body.reason } : {}),
          ...(typeof body.message === 'string' ? { messageToSeller: body.message } : {}),
        }),
      ),
    );
  });

  router.add('POST', '/_emulator/rfqs/:id/respond', (ctx) => {
    const parsed = parseRespond(jsonObject(ctx));
    if ('status' in parsed) return parsed;
    return actor(() => ok(target.respond(ctx.params.id!, parsed)));
  });

  router.add('GET', '/_emulator/faults', () => ok({ rules: target.faults.list() }));
  router.add('PUT', '/_emulator/faults', (ctx) => {
    const body = jsonObject(ctx);
    const { rules, problems } = parseFaultRules(body.rules ?? []);
    if (body.seed !== undefined && !Number.isInteger(body.seed)) problems.push('seed: must be an integer');
    if (problems.length > 0) return bad('rules', problems.join('; '));
    if (typeof body.seed === 'number') target.reseed(body.seed);
    target.faults.set(rules);
    return ok({ rules: target.faults.list() });
  });
  router.add('DELETE', '/_emulator/faults', () => {
    target.faults.set([]);
    return ok({ rules: [] });
  });

  router.add('GET', '/_emulator/requests', (ctx) => {
    const q = ctx.url.searchParams;
    const limit = q.get('limit');
    const since = q.get('sinceSeq');
    return ok(
      target.journal({
        ...(q.get('route') ? { route: q.get('route')! } : {}),
        ...(limit !== null && /^\d+$/.test(limit) ? { limit: Number(limit) } : {}),
        ...(since !== null && /^\d+$/.test(since) ? { sinceSeq: Number(since) } : {}),
      }),
    );
  });
  router.add('DELETE', '/_emulator/requests', () => {
    target.clearJournal();
    return ok({ cleared: true });
  });

  router.add('GET', '/_emulator/stats', () => ok(target.stats()));
  router.add('GET', '/_emulator/webhooks', () => ok(target.webhookDeliveries()));

  router.add('POST', '/_emulator/tokens/revoke', (ctx) => {
    const body = jsonObject(ctx, { optional: true });
    if (body.token !== undefined && typeof body.token !== 'string') return bad('token', 'token must be a string');
    return ok(target.revokeTokens(body.token as string | undefined));
  });

  router.add('GET', '/_emulator/credentials', () => ok(target.credentials));
  router.add('PUT', '/_emulator/credentials', (ctx) => {
    const body = jsonObject(ctx);
    const change: Partial<EmulatorCredentials> & { staticBearerToken?: string | undefined } = {};
    for (const name of ['clientId', 'clientSecret', 'apiToken'] as const) {
      const value = body[name];
      if (value === undefined) continue;
      if (typeof value !== 'string' || value === '') return bad(name, `${name} must be a non-empty string`);
      change[name] = value;
    }
    if (body.authMethod !== undefined) {
      if (!AUTH_METHODS.includes(body.authMethod as AuthMethod))
        return bad('authMethod', `authMethod must be one of ${AUTH_METHODS.join(', ')}`);
      change.authMethod = body.authMethod as AuthMethod;
    }
    if (body.staticBearerToken !== undefined) {
      if (
        body.staticBearerToken !== null &&
        (typeof body.staticBearerToken !== 'string' || body.staticBearerToken === '')
      ) {
        return bad('staticBearerToken', 'staticBearerToken must be a non-empty string or null');
      }
      change.staticBearerToken = (body.staticBearerToken as string | null) ?? undefined;
    }
    if (body.oauthEnabled !== undefined) {
      if (typeof body.oauthEnabled !== 'boolean') return bad('oauthEnabled', 'oauthEnabled must be a boolean');
      change.oauthEnabled = body.oauthEnabled;
    }
    for (const flag of ['rotate', 'revokeTokens'] as const) {
      if (body[flag] !== undefined && typeof body[flag] !== 'boolean') return bad(flag, `${flag} must be a boolean`);
    }
    return ok(
      target.updateCredentials(change, { rotate: body.rotate === true, revokeTokens: body.revokeTokens === true }),
    );
  });

  router.add('GET', '/_emulator/clock', () => ok(target.clock()));
  router.add('POST', '/_emulator/clock', (ctx) => {
    const body = jsonObject(ctx);
    if (body.advanceMs !== undefined && (typeof body.advanceMs !== 'number' || !Number.isFinite(body.advanceMs)))
      return bad('advanceMs', 'advanceMs must be a number');
    let set: number | undefined;
    if (body.set !== undefined) {
      set = typeof body.set === 'string' ? Date.parse(body.set) : NaN;
      if (Number.isNaN(set)) return bad('set', 'set must be an ISO-8601 instant');
    }
    target.setClock({
      ...(typeof body.advanceMs === 'number' ? { advanceMs: body.advanceMs } : {}),
      ...(set !== undefined ? { set } : {}),
    });
    return ok(target.clock());
  });

  router.add('GET', '/_emulator/settings', () => ok(target.settings));
  router.add('PUT', '/_emulator/settings', (ctx) => {
    const body = jsonObject(ctx);
    const unknown = Object.keys(body).filter((name) => !(name in target.settings));
    if (unknown.length > 0)
      return bad(unknown[0]!, `unknown setting ${unknown[0]}; settings are ${Object.keys(target.settings).join(', ')}`);
    if (body.searchByExternalId !== undefined) {
      if (!ON_OFF.includes(body.searchByExternalId as 'on'))
        return bad('searchByExternalId', 'searchByExternalId must be "on" or "off"');
      target.settings.searchByExternalId = body.searchByExternalId as EmulatorSettings['searchByExternalId'];
    }
    return ok(target.settings);
  });

  router.add('GET', '/_emulator/autopilot', () => ok(target.autopilot));
  router.add('PUT', '/_emulator/autopilot', (ctx) => {
    const body = jsonObject(ctx);
    const next = { ...target.autopilot };
    if (body.enabled !== undefined) {
      if (typeof body.enabled !== 'boolean') return bad('enabled', 'enabled must be a boolean');
      next.enabled = body.enabled;
    }
    for (const name of ['sendRfqsAfterMs', 'quoteAfterMs', 'repriceAfterMs'] as const) {
      if (body[name] === undefined) continue;
      if (!Number.isInteger(body[name]) || (body[name] as number) < 0)
        return bad(name, `${name} must be a non-negative integer`);
      next[name] = body[name] as number;
    }
    if (body.operators !== undefined) {
      if (!Number.isInteger(body.operators) || (body.operators as number) < 1 || (body.operators as number) > 20)
        return bad('operators', 'operators must be an integer from 1 to 20');
      next.operators = body.operators as number;
    }
    for (const name of ['declineRatio', 'chatRatio', 'chatReplyRatio'] as const) {
      if (body[name] === undefined) continue;
      if (typeof body[name] !== 'number' || (body[name] as number) < 0 || (body[name] as number) > 1)
        return bad(name, `${name} must be a number from 0 to 1`);
      next[name] = body[name] as number;
    }
    Object.assign(target.autopilot, next);
    return ok(target.autopilot);
  });
}

function parseRespond(body: Record<string, unknown>): RespondInput | Reply {
  const { action, price, currency, message, aircraftCategory, aircraftType, aircraftTail, seats, liftId } = body;
  // `declineReason` is the documented decline field; `reason` is kept for scripts written before.
  const reason = body.declineReason ?? body.reason;
  if (action !== 'quote' && action !== 'decline' && action !== 'reprice' && action !== 'chat')
    return bad('action', 'action must be quote, decline, reprice or chat');
  const out: RespondInput = { action };
  if (price !== undefined) {
    if (typeof price !== 'number' || !Number.isFinite(price) || price <= 0)
      return bad('price', 'price must be a positive number');
    out.price = price;
  }
  if (currency !== undefined) {
    if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency))
      return bad('currency', 'currency must be a 3-letter ISO code, e.g. USD');
    out.currency = currency;
  }
  if (reason !== undefined) {
    if (!isDeclineReason(reason))
      return bad(
        'reason',
        'reason must be one of AIRCRAFT_NOT_AVAILABLE, CABOTAGE, CREW_NOT_AVAILABLE, OWNER_DECLINED, UNATTRACTIVE_TRIP, UNKNOWN, OTHER',
      );
    out.reason = reason as string;
  }
  if (message !== undefined) {
    if (typeof message !== 'string' || message.length > 4000)
      return bad('message', 'message must be a string of at most 4000 characters');
    out.message = message;
  }
  if (aircraftCategory !== undefined) {
    if (typeof aircraftCategory !== 'string' || !(AIRCRAFT_CATEGORIES as readonly string[]).includes(aircraftCategory))
      return bad('aircraftCategory', 'aircraftCategory must be an Avinode category');
    out.aircraftCategory = aircraftCategory;
  }
  if (body.onRfq !== undefined) {
    if (typeof body.onRfq !== 'boolean') return bad('onRfq', 'onRfq must be a boolean');
    if (body.onRfq && action !== 'quote') return bad('onRfq', 'onRfq applies to a quote only');
    if (body.onRfq && liftId !== undefined)
      return bad('onRfq', 'a quote is on the RFQ (onRfq) or on a lift (liftId), not both');
    out.onRfq = body.onRfq;
  }
  for (const [name, value] of [
    ['aircraftType', aircraftType],
    ['aircraftTail', aircraftTail],
    ['liftId', liftId],
    ['quoteId', body.quoteId],
  ] as const) {
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.trim() === '') return bad(name, `${name} must be a non-empty string`);
    out[name] = value;
  }
  if (seats !== undefined) {
    if (!Number.isInteger(seats) || (seats as number) < 1 || (seats as number) > 500)
      return bad('seats', 'seats must be an integer from 1 to 500');
    out.seats = seats as number;
  }
  return out;
}
